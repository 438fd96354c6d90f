//! `--setup public-api`: checking a server that has no control routes.
//!
//! Each world is seeded through the public Stytch B2B API the server implements: the
//! organizations of the previous world are deleted (`DELETE /v1/b2b/organizations/{id}`),
//! then each organization is created (`POST /v1/b2b/organizations`) and each member
//! (`POST /v1/b2b/organizations/{id}/members`, with `create_member_as_pending` for a pending
//! one; an invited one through `POST /v1/b2b/magic_links/email/invite`; a deleted one
//! created, then deleted with `DELETE /v1/b2b/organizations/{id}/members/{member_id}`). The server's UserInfo URL must point at the
//! [`UserInfoStub`], which answers each token as the loaded world's directory says.
//!
//! The server chooses organization and member ids, so the world the model judges is the
//! seeded one: ids as the server assigned them, the server's project id, the members of each
//! organization in creation order (deleted ones first). Requests that
//! name an organization by its id are rewritten to the server's id, for the model and the
//! server alike. Worlds the public API cannot create are skipped and counted: a project
//! maximum other than 527040 or a claims template (project settings), and anything the
//! server refuses with a 4xx (other than 429); any other failure to seed fails the case.
//! A world is seeded again only when it changes or a successful migrate may have activated
//! one of its pending or invited members. The organizations created are deleted when the
//! adapter is dropped. One server serves one such run at a time.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use migrate_model::{MemberStatus, UserInfoBody, UserInfoReply, World};
use serde_json::{json, Value};

use crate::adapter::{AdapterError, Capabilities, HttpResponse, Implementation};
use crate::http::{Http, HttpOptions};

/// The project maximum a target seeded through its public API is taken to have (Stytch's
/// default and the top of the allowed range).
pub const ASSUMED_PROJECT_MAX: i64 = 527_040;

type Directory = Arc<Mutex<BTreeMap<String, UserInfoReply>>>;

/// A UserInfo endpoint on loopback that answers `Authorization: Bearer TOKEN` with the
/// current world's reply for TOKEN (any path, any method): HTTP 401 for an unknown token,
/// and for an `unreachable` reply a line that is not HTTP, which every client fails on as
/// it fails on an endpoint it cannot reach. Stops when dropped.
pub struct UserInfoStub {
    server: Arc<tiny_http::Server>,
    directory: Directory,
    url: String,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for UserInfoStub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInfoStub")
            .field("url", &self.url)
            .finish()
    }
}

impl UserInfoStub {
    /// Listens on `addr` (such as `127.0.0.1:18901`, or port 0 for any free port).
    pub fn start(addr: &str) -> Result<UserInfoStub, AdapterError> {
        let server = tiny_http::Server::http(addr).map_err(|e| {
            AdapterError::new(format!("the UserInfo stub cannot listen on {addr}: {e}"))
        })?;
        let local = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| AdapterError::new("the UserInfo stub has no IP address"))?;
        let server = Arc::new(server);
        let directory: Directory = Arc::default();
        let thread = {
            let server = Arc::clone(&server);
            let directory = Arc::clone(&directory);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    answer(request, &directory);
                }
            })
        };
        Ok(UserInfoStub {
            server,
            directory,
            url: format!("http://{local}/userinfo"),
            thread: Some(thread),
        })
    }

    /// The URL to configure as the target's UserInfo endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answers from now on as `world`'s directory says.
    pub fn serve(&self, world: &World) {
        *self
            .directory
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = world.userinfo.clone();
    }
}

impl Drop for UserInfoStub {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn answer(request: tiny_http::Request, directory: &Directory) {
    let token = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .and_then(|h| h.value.as_str().strip_prefix("Bearer ").map(str::to_owned));
    let reply = token.and_then(|t| {
        directory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&t)
            .cloned()
    });
    let json_type = tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..])
        .expect("a valid header");
    let _ = match reply {
        None => request.respond(
            tiny_http::Response::from_string(r#"{"error":"invalid_token"}"#)
                .with_status_code(401)
                .with_header(json_type),
        ),
        Some(UserInfoReply::Unreachable) => {
            let mut writer = request.into_writer();
            writer
                .write_all(b"this is not an HTTP reply\r\n\r\n")
                .and_then(|()| writer.flush())
        }
        Some(UserInfoReply::Http { status, body }) => {
            let bytes = match body {
                UserInfoBody::Json(value) => serde_json::to_vec(&value).unwrap_or_default(),
                UserInfoBody::Raw(bytes) => bytes,
            };
            request.respond(
                tiny_http::Response::from_data(bytes)
                    .with_status_code(status)
                    .with_header(json_type),
            )
        }
    };
}

/// What the last world became on the server.
#[derive(Debug)]
struct Seeded {
    /// The world as the suite gave it.
    world: World,
    /// The world as the server holds it.
    renamed: World,
    /// Quoted world organization ids and the quoted server ids that replace them.
    rewrites: Vec<(Vec<u8>, Vec<u8>)>,
    /// Whether it holds a pending or invited member, which a successful migrate activates.
    activatable: bool,
    /// Whether a call may have changed it (a migrate succeeded in an activatable world), so
    /// that it must be seeded again before the next case.
    dirty: bool,
}

/// A server without control routes, seeded through its public API (see the module docs).
#[derive(Debug)]
pub struct PublicApi {
    http: Http,
    project_id: String,
    stub: Arc<UserInfoStub>,
    /// Organizations created for the current world, to delete before the next.
    created: Vec<String>,
    seeded: Option<Seeded>,
}

impl PublicApi {
    /// Connects to `base` as `project_id` (with `options.secret`), with `stub` as the
    /// UserInfo endpoint the server is configured with.
    pub fn connect(
        base: &str,
        options: HttpOptions,
        project_id: &str,
        stub: Arc<UserInfoStub>,
    ) -> Result<PublicApi, AdapterError> {
        Ok(PublicApi {
            http: Http::public(base, options, project_id)?,
            project_id: project_id.to_owned(),
            stub,
            created: Vec::new(),
            seeded: None,
        })
    }

    /// Deletes the organizations created for the previous world; an id is forgotten only
    /// once its delete succeeded (or it was already gone), so a failure is retried.
    fn delete_created(&mut self) -> Result<(), AdapterError> {
        while let Some(id) = self.created.last() {
            let path = format!("/v1/b2b/organizations/{id}");
            let (status, reply) = self.http.management("DELETE", &path, None)?;
            if !(200..300).contains(&status) && status != 404 {
                return Err(AdapterError::new(format!(
                    "deleting organization {id} of the previous world: the target answered {status} {reply}"
                )));
            }
            self.created.pop();
        }
        Ok(())
    }

    /// Creates `world` on the server; the renamed world and the request rewrites.
    fn seed(&mut self, world: &World) -> Result<Seeded, AdapterError> {
        if world.project_max_session_minutes != ASSUMED_PROJECT_MAX {
            return Err(AdapterError::unsupported(format!(
                "project_max_session_minutes {} (a project setting; the target is taken to allow {ASSUMED_PROJECT_MAX})",
                world.project_max_session_minutes
            )));
        }
        if !world.claims_template.is_empty() {
            return Err(AdapterError::unsupported(
                "a custom claims template (a project setting the public API cannot set)",
            ));
        }
        self.delete_created()?;
        let mut renamed = world.clone();
        renamed.project_id.clone_from(&self.project_id);
        let mut rewrites = Vec::new();
        for org in &mut renamed.organizations {
            if org.name.trim().is_empty() {
                // The API needs a name; the seeded organization is named after its slug.
                org.name.clone_from(&org.slug);
            }
            let mut new = json!({
                "organization_name": org.name,
                "organization_slug": org.slug,
            });
            if let Some(ext) = &org.external_id {
                new["organization_external_id"] = json!(ext);
            }
            let reply = self.create("/v1/b2b/organizations", &new, &org.slug)?;
            let server_id = string_at(&reply, "/organization/organization_id", "organization")?;
            self.created.push(server_id.clone());
            rewrites.push((quoted(&org.organization_id), quoted(&server_id)));
            org.organization_id = server_id;
            // Deleted members first: an active member may reuse a deleted one's email.
            org.members
                .sort_by_key(|m| m.status != MemberStatus::Deleted);
            for member in &mut org.members {
                let mut new = json!({
                    "email_address": member.email,
                    "roles": member.roles,
                });
                if !member.name.is_empty() {
                    new["name"] = json!(member.name);
                }
                let path = if member.status == MemberStatus::Invited {
                    // Invited members come from an invitation (no email is needed to check).
                    new["organization_id"] = json!(org.organization_id);
                    "/v1/b2b/magic_links/email/invite".to_owned()
                } else {
                    if member.status == MemberStatus::Pending {
                        new["create_member_as_pending"] = json!(true);
                    }
                    format!("/v1/b2b/organizations/{}/members", org.organization_id)
                };
                let reply = self.create(&path, &new, &member.email)?;
                member.member_id = string_at(&reply, "/member/member_id", "member")?;
                if member.status == MemberStatus::Deleted {
                    let path = format!(
                        "/v1/b2b/organizations/{}/members/{}",
                        org.organization_id, member.member_id
                    );
                    let (status, reply) = self.http.management("DELETE", &path, None)?;
                    refused(
                        status,
                        &reply,
                        &format!("delete the member {:?} through {path}", member.email),
                    )?;
                }
            }
        }
        let activatable = renamed
            .organizations
            .iter()
            .flat_map(|o| &o.members)
            .any(|m| matches!(m.status, MemberStatus::Pending | MemberStatus::Invited));
        Ok(Seeded {
            world: world.clone(),
            renamed,
            rewrites,
            activatable,
            dirty: false,
        })
    }

    /// A create call: a 4xx refusal (other than 429) makes the world unsupported (the
    /// reason names `what`); any other failure is the target's, and fails the case.
    fn create(&self, path: &str, body: &Value, what: &str) -> Result<Value, AdapterError> {
        let (status, reply) = self.http.management("POST", path, Some(body))?;
        refused(status, &reply, &format!("create {what:?} through {path}"))?;
        Ok(reply)
    }
}

/// `Ok` for a 2xx; a 4xx other than 429 is a refusal of this world (unsupported); anything
/// else is a failure of the target.
fn refused(status: u16, reply: &Value, what: &str) -> Result<(), AdapterError> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    let error = reply
        .get("error_type")
        .and_then(Value::as_str)
        .unwrap_or("no error_type");
    let message = format!("the target refused to {what}: {status} {error}");
    if (400..500).contains(&status) && status != 429 {
        Err(AdapterError::unsupported(message))
    } else {
        Err(AdapterError::new(message))
    }
}

impl Drop for PublicApi {
    fn drop(&mut self) {
        // Leave the target as it was found, as far as it lets us.
        let _ = self.delete_created();
    }
}

fn quoted(s: &str) -> Vec<u8> {
    serde_json::to_vec(s).unwrap_or_default()
}

fn string_at(reply: &Value, pointer: &str, what: &str) -> Result<String, AdapterError> {
    reply
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            AdapterError::new(format!(
                "the target created a {what} but its reply has no {pointer}"
            ))
        })
}

/// `body` with every occurrence of each `from` replaced by its `to`.
fn rewrite(body: &[u8], rewrites: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = body.to_vec();
    for (from, to) in rewrites {
        if from.is_empty() || from == to {
            continue;
        }
        let mut next = Vec::with_capacity(out.len());
        let mut rest = &out[..];
        while let Some(at) = rest.windows(from.len()).position(|w| w == &from[..]) {
            next.extend_from_slice(&rest[..at]);
            next.extend_from_slice(to);
            rest = &rest[at + from.len()..];
        }
        next.extend_from_slice(rest);
        out = next;
    }
    out
}

impl Implementation for PublicApi {
    fn capabilities(&self) -> Capabilities {
        self.http.capabilities()
    }

    fn load_world(&mut self, world: &World) -> Result<(), AdapterError> {
        let reusable = self
            .seeded
            .as_ref()
            .is_some_and(|s| !s.dirty && s.world == *world);
        if !reusable {
            self.seeded = None;
            self.seeded = Some(self.seed(world)?);
        }
        self.stub.serve(world);
        Ok(())
    }

    fn call(&mut self, body: &[u8], _now: Option<i64>) -> Result<HttpResponse, AdapterError> {
        // The body is already rewritten: the runner sends what `renamed` returned.
        let response = self.http.call(body, None);
        if let Some(seeded) = &mut self.seeded {
            // A failed call changes nothing (rule error.changes-nothing); a success may have
            // activated a member. A call that got no answer may have done either.
            let succeeded = response.as_ref().map_or(true, |r| r.status == 200);
            if seeded.activatable && succeeded {
                seeded.dirty = true;
            }
        }
        response
    }

    fn renamed(&self, world: &World, body: &[u8]) -> Option<(World, Vec<u8>)> {
        let seeded = self.seeded.as_ref().filter(|s| s.world == *world)?;
        Some((seeded.renamed.clone(), rewrite(body, &seeded.rewrites)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_whole_quoted_ids_only() {
        let rewrites = vec![(quoted("org-a"), quoted("organization-test-1234"))];
        let body = br#"{"organization_id":"org-a","x":"org-ab","y":["org-a"]}"#;
        assert_eq!(
            rewrite(body, &rewrites),
            br#"{"organization_id":"organization-test-1234","x":"org-ab","y":["organization-test-1234"]}"#
        );
        assert_eq!(
            rewrite(b"\xff\"org-a\"", &rewrites),
            b"\xff\"organization-test-1234\""
        );
    }
}
