//! The call to the external OIDC UserInfo endpoint: `GET url` with
//! `Authorization: Bearer <session_token>`, bounded in time and in size. Every way it can go
//! wrong becomes a [`UserInfoResponse`] the engine maps to the model's UserInfo outcome:
//! no connection or a timeout is unreachable, any HTTP reply is passed on with its status,
//! and a reply over the size cap or cut off is unusable.

use std::time::Duration;

use crate::engine::UserInfoResponse;

/// Makes the call.
pub async fn fetch(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    timeout: Duration,
    max_bytes: usize,
) -> UserInfoResponse {
    let call = async {
        let mut response = match client
            .get(url)
            .bearer_auth(token)
            .header("Accept", "application/json")
            .send()
            .await
        {
            Ok(response) => response,
            Err(e) => {
                tracing::debug!(error = %e, "userinfo unreachable");
                return UserInfoResponse::Unreachable;
            }
        };
        let status = response.status().as_u16();
        if response
            .content_length()
            .is_some_and(|n| n > max_bytes as u64)
        {
            return UserInfoResponse::Unusable(format!(
                "the reply is larger than {max_bytes} bytes"
            ));
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > max_bytes {
                        return UserInfoResponse::Unusable(format!(
                            "the reply is larger than {max_bytes} bytes"
                        ));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return UserInfoResponse::Unusable(format!("the reply was cut off: {e}")),
            }
        }
        UserInfoResponse::Http { status, body }
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(response) => response,
        Err(_) => UserInfoResponse::Unusable(format!(
            "no complete reply within {} ms",
            timeout.as_millis()
        )),
    }
}
