//! One request id per request (issue 10): the id amlite gives a request is the one its response
//! headers carry (`x-ms-request-id` and `x-request-id`, on ARM, scoring and error answers alike)
//! and the one every log line under its span carries, so a client's failure can be found in the
//! log. A caller's `x-request-id` is kept only when it is a GUID (SPEC §4).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::binary::Binary;

const WS: &str = "/subscriptions/6a6d6c69-7465-4000-8000-000000000001/resourceGroups/amlite-rg/providers/Microsoft.MachineLearningServices/workspaces/amlite-ws";

/// `(x-ms-request-id, x-request-id)` of one answer to GET `path`, sending `caller_id` if any.
async fn ids(b: &Binary, path: &str, caller_id: Option<&str>) -> (String, String) {
    let mut r = b.client.get(format!("{}{path}", b.base)).bearer_auth("t");
    if let Some(id) = caller_id {
        r = r.header("x-request-id", id);
    }
    let r = r.send().await.unwrap();
    let h = |n: &str| r.headers()[n].to_str().unwrap().to_string();
    (h("x-ms-request-id"), h("x-request-id"))
}

/// The `request_id` of every JSON log line whose request span is for `path`.
fn logged_ids(log: &str, path: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["span"]["path"] == path)
        .map(|v| v["span"]["request_id"].as_str().unwrap_or("").to_string())
        .collect()
}

/// True once tower-http's response line of a request to `path` is in the log.
fn finished_logged(log: &str, path: &str) -> bool {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .any(|v| {
            v["span"]["path"] == path && v["fields"]["message"] == "finished processing request"
        })
}

#[tokio::test]
async fn one_request_id_in_the_headers_and_every_log_line_of_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("amlite.log");
    let mut cmd = Binary::command(dir.path(), &["--log-format", "json"]);
    cmd.env("RUST_LOG", "info,tower_http=debug")
        .stderr(std::fs::File::create(&log_path).unwrap());
    let b = Binary::spawn_keeping_stderr(cmd, dir.path()).await;

    let arm_ok = format!("{WS}?api-version=2024-04-01");
    let arm_missing = format!("{WS}/onlineEndpoints/nope?api-version=2024-04-01");
    let scoring_missing = "/endpoints/nope/score";
    let caller = "0b6f3c1e-6f1d-4f7e-9d43-3f2a9c1b5e77";
    let answers = [
        (WS, ids(&b, &arm_ok, None).await),
        (
            "/subscriptions/6a6d6c69-7465-4000-8000-000000000001/resourceGroups/amlite-rg/providers/Microsoft.MachineLearningServices/workspaces/amlite-ws/onlineEndpoints/nope",
            ids(&b, &arm_missing, Some("not-a-guid")).await,
        ),
        (scoring_missing, ids(&b, scoring_missing, Some(caller)).await),
    ];
    for (_, (ms, plain)) in &answers {
        assert_eq!(ms, plain, "x-ms-request-id and x-request-id differ");
        assert!(uuid::Uuid::parse_str(ms).is_ok(), "{ms}");
    }
    assert_eq!(answers[2].1 .0, caller, "a caller's GUID is kept");
    assert_ne!(
        answers[1].1 .0, "not-a-guid",
        "a caller's non-GUID id is replaced"
    );

    // The response line is written when the body is sent: wait (bounded) until each is logged.
    // A request logs one line of its own (tower-http's `finished processing request`; no
    // "started" line since issue 14) and whatever its handler logs under its span.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let logged: Vec<Vec<String>> = answers
            .iter()
            .map(|(path, _)| logged_ids(&log, path))
            .collect();
        if answers.iter().all(|(path, _)| finished_logged(&log, path)) {
            for ((path, (id, _)), lines) in answers.iter().zip(&logged) {
                assert!(lines.iter().all(|l| l == id), "{path}: {lines:?} vs {id}");
            }
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "log lines missing: {log}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
