//! JUnit XML reports, so that CI systems show each property and each vector as a test.
//!
//! One `<testsuite>` per kind (`properties`, `vectors`), one `<testcase>` per property or
//! vector; a failure carries its first lines as the message and the whole text as the body,
//! a skipped property its reason.

use std::io;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use crate::runner::Report;
use crate::summary::{render_failure, Reproduce};

/// One test case's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It passed.
    Passed,
    /// It failed; the text says how.
    Failed(String),
    /// It did not run; the text says why.
    Skipped(String),
}

/// One test case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCase {
    /// Its name (a property name or a vector id).
    pub name: String,
    /// Its outcome.
    pub verdict: Verdict,
}

/// A suite of test cases.
#[derive(Clone, Debug, PartialEq)]
pub struct TestSuite {
    /// `properties` or `vectors`.
    pub name: String,
    /// Wall time in seconds.
    pub seconds: f64,
    /// The cases.
    pub cases: Vec<TestCase>,
}

/// The properties of a run as a suite; `target` names the target in reproduce lines.
pub fn properties(report: &Report, target: &str) -> TestSuite {
    let cases = report
        .properties
        .iter()
        .map(|p| {
            let verdict = if let Some(why) = &p.skipped {
                Verdict::Skipped(why.clone())
            } else if p.failure.is_some() {
                let reproduce = Reproduce::target(target);
                let blocks: Vec<String> = p
                    .failures()
                    .enumerate()
                    .map(|(n, f)| render_failure(p.property, n + 1, f, report.seed, &reproduce))
                    .collect();
                Verdict::Failed(blocks.join("\n\n"))
            } else if let Some(t) = &p.transport {
                Verdict::Failed(format!(
                    "{} cases failed at the transport level; the first: {}",
                    t.count, t.first
                ))
            } else if !p.passed() {
                Verdict::Failed(match &p.unsupported {
                    Some(u) => format!(
                        "no case ran: {} cases skipped (world not seedable), the first: {}",
                        u.count, u.first
                    ),
                    None => "did not pass".into(),
                })
            } else {
                Verdict::Passed
            };
            TestCase {
                name: p.property.to_owned(),
                verdict,
            }
        })
        .collect();
    TestSuite {
        name: "properties".into(),
        seconds: report.elapsed.as_secs_f64(),
        cases,
    }
}

/// The suites as a JUnit XML document.
pub fn render(suites: &[TestSuite]) -> io::Result<String> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let count = |pick: fn(&Verdict) -> bool, cases: &[TestCase]| {
        cases
            .iter()
            .filter(|c| pick(&c.verdict))
            .count()
            .to_string()
    };
    let all: Vec<TestCase> = suites.iter().flat_map(|s| s.cases.clone()).collect();
    writer
        .create_element("testsuites")
        .with_attribute(("name", "migrate-conformance"))
        .with_attribute(("tests", all.len().to_string().as_str()))
        .with_attribute((
            "failures",
            count(|v| matches!(v, Verdict::Failed(_)), &all).as_str(),
        ))
        .with_attribute((
            "skipped",
            count(|v| matches!(v, Verdict::Skipped(_)), &all).as_str(),
        ))
        .write_inner_content(|w| {
            for suite in suites {
                w.create_element("testsuite")
                    .with_attribute(("name", suite.name.as_str()))
                    .with_attribute(("tests", suite.cases.len().to_string().as_str()))
                    .with_attribute((
                        "failures",
                        count(|v| matches!(v, Verdict::Failed(_)), &suite.cases).as_str(),
                    ))
                    .with_attribute((
                        "skipped",
                        count(|v| matches!(v, Verdict::Skipped(_)), &suite.cases).as_str(),
                    ))
                    .with_attribute(("time", format!("{:.3}", suite.seconds).as_str()))
                    .write_inner_content(|w| {
                        for case in &suite.cases {
                            let element = w
                                .create_element("testcase")
                                .with_attribute(("name", case.name.as_str()))
                                .with_attribute((
                                    "classname",
                                    format!("migrate-conformance.{}", suite.name).as_str(),
                                ));
                            match &case.verdict {
                                Verdict::Passed => {
                                    element.write_empty()?;
                                }
                                Verdict::Failed(text) => {
                                    element.write_inner_content(|w| {
                                        let message = text.lines().take(3).collect::<Vec<_>>();
                                        w.create_element("failure")
                                            .with_attribute((
                                                "message",
                                                message.join(" / ").as_str(),
                                            ))
                                            .write_text_content(BytesText::new(text))?;
                                        Ok(())
                                    })?;
                                }
                                Verdict::Skipped(why) => {
                                    element.write_inner_content(|w| {
                                        w.create_element("skipped")
                                            .with_attribute(("message", why.as_str()))
                                            .write_empty()?;
                                        Ok(())
                                    })?;
                                }
                            }
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    let mut text = String::from_utf8(writer.into_inner())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_and_skips_are_counted_and_text_is_escaped() {
        let suite = TestSuite {
            name: "vectors".into(),
            seconds: 1.5,
            cases: vec![
                TestCase {
                    name: "a/1".into(),
                    verdict: Verdict::Passed,
                },
                TestCase {
                    name: "a/2".into(),
                    verdict: Verdict::Failed("expected <200> & got \"404\"".into()),
                },
                TestCase {
                    name: "a/3".into(),
                    verdict: Verdict::Skipped("not run".into()),
                },
            ],
        };
        let xml = render(&[suite]).expect("renders");
        assert!(
            xml.contains(
                r#"<testsuites name="migrate-conformance" tests="3" failures="1" skipped="1">"#
            ),
            "{xml}"
        );
        assert!(xml.contains("expected &lt;200&gt; &amp; got"), "{xml}");
        assert!(xml.contains(r#"<skipped message="not run"/>"#), "{xml}");
        assert!(
            xml.contains(r#"<testcase name="a/1" classname="migrate-conformance.vectors"/>"#),
            "{xml}"
        );
    }
}
