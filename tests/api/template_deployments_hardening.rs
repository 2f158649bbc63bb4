//! Template deployments against what a client or an attacker sends beyond the SDK's templates:
//! `POST …/validate`, the lenient JSON `az deployment group create` sends, and hostile templates
//! (found from outside: each was a crashed server, a half-made workspace or a connection under
//! the wrong workspace).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::common;
use common::TestApp;
use serde_json::{json, Value};

use super::template_deployments::template;

#[tokio::test]
async fn validate_evaluates_without_making_anything_and_lenient_json_is_read_as_arm_reads_it() {
    let app = TestApp::spawn().await;
    let rg = format!("/subscriptions/{}/resourceGroups/{}", app.sub, app.rg);
    let deps = format!("{rg}/providers/Microsoft.Resources/deployments");
    let params = json!({"workspaceName": {"value": "wsval"}, "location": {"value": "westus2"}});
    let body = json!({"properties": {"mode": "Incremental", "template": template(), "parameters": params}});
    let r = app
        .post(
            &format!("{deps}/v1/validate?api-version=2025-04-01"),
            Some(body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let validated = r.body["properties"]["validatedResources"]
        .as_array()
        .unwrap();
    assert_eq!(validated.len(), 3, "{}", r.text);
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
    let ws = format!(
        "{rg}/providers/Microsoft.MachineLearningServices/workspaces/wsval?api-version=2024-04-01"
    );
    assert_eq!(app.get(&ws).await.status, 404, "validate makes nothing");
    assert_eq!(
        app.get(&format!("{deps}/v1?api-version=2025-04-01"))
            .await
            .status,
        404
    );

    // `az deployment group create` splices the template in unquoted: `…, template:{…}}}`.
    let head = json!({"properties": {"parameters": params, "mode": "Incremental"}}).to_string();
    let spliced = format!("{}, template:{}}}}}", &head[..head.len() - 2], template());
    let r = app
        .send_raw(
            reqwest::Method::PUT,
            &format!("{deps}/v2?api-version=2025-04-01"),
            spliced.into_bytes(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(app.get(&ws).await.status, 200);
    let list = app.get(&format!("{deps}/?api-version=2025-04-01")).await;
    let names: Vec<&str> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert_eq!(names, ["v2"], "{}", list.text);

    // Lenient JSON is still bounded: deep nesting is a 400, not a crashed server.
    let deep = format!(
        "{{properties:{}1{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let r = app
        .send_raw(
            reqwest::Method::PUT,
            &format!("{deps}/v3?api-version=2025-04-01"),
            deep.into_bytes(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        app.get(&format!("{deps}/v2?api-version=2025-04-01"))
            .await
            .status,
        200,
        "still serving"
    );
}

/// Found from outside (review of issue 15's template evaluator): each was a crashed server, a
/// half-made workspace or a connection under the wrong workspace.
#[tokio::test]
async fn hostile_templates_are_refused_whole_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;
    let rg = format!("/subscriptions/{}/resourceGroups/{}", app.sub, app.rg);
    let deps = format!("{rg}/providers/Microsoft.Resources/deployments");
    let ws = |name: &str, extra: Value| {
        let mut r = json!({"type": "Microsoft.MachineLearningServices/workspaces", "name": name, "location": "eastus"});
        if let (Value::Object(r), Value::Object(x)) = (&mut r, extra) {
            r.extend(x);
        }
        r
    };
    let chain = format!("[deployment(){}]", ".a".repeat(2000));
    let mut vars = serde_json::Map::new();
    for i in 0..30 {
        let inner = format!("variables('v{}')", i + 1);
        let nested = (0..30).fold(inner, |e, _| format!("if(true, {e}, 'x')"));
        vars.insert(format!("v{i}"), json!(format!("[{nested}]")));
    }
    vars.insert("v30".into(), json!("end"));
    let cases = [
        (
            "a member chain 2000 long",
            json!({"resources": [ws("w1", json!({"properties": {"description": chain}}))]}),
            "InvalidTemplate",
        ),
        (
            "references times nesting",
            json!({"variables": vars, "resources": [ws("w2", json!({"properties": {"description": "[variables('v0')]"}}))]}),
            "InvalidTemplate",
        ),
        (
            "a connection with a bad name",
            json!({"resources": [ws("w3", json!({"resources": [
            {"type": "connections", "name": "good"}, {"type": "connections", "name": "bad?x"}]}))]}),
            "InvalidResourceName",
        ),
        (
            "a connection of another workspace",
            json!({"resources": [ws("w4", json!({})),
            {"type": "Microsoft.MachineLearningServices/workspaces/connections", "name": "other/c1"}]}),
            "BadRequest",
        ),
        (
            "two workspaces",
            json!({"resources": [ws("w5", json!({})), ws("w6", json!({}))]}),
            "BadRequest",
        ),
    ];
    for (i, (what, template, code)) in cases.into_iter().enumerate() {
        let r = app
            .put(
                &format!("{deps}/h{i}?api-version=2020-06-01"),
                json!({"properties": {"mode": "Incremental", "template": template}}),
            )
            .await;
        assert_eq!((r.status, r.code()), (400, code), "{what}: {}", r.text);
        assert_eq!(
            app.get(&format!("{deps}/h{i}?api-version=2020-06-01"))
                .await
                .status,
            404,
            "{what}"
        );
    }
    for w in ["w1", "w2", "w3", "w4", "w5", "w6"] {
        let r = app.get(&format!("{rg}/providers/Microsoft.MachineLearningServices/workspaces/{w}?api-version=2024-04-01")).await;
        assert_eq!(r.status, 404, "nothing half-made: {w}: {}", r.text);
    }
}

/// Found from outside, second round: a quote in a comment hid the nesting from the lenient
/// reader's bound; function results escaped the budget; validate accepted what the PUT refuses;
/// a redeploy left the workspace as it was.
#[tokio::test]
async fn comments_validate_and_redeploys_behave_as_the_put_does() {
    let app = TestApp::spawn().await;
    let rg = format!("/subscriptions/{}/resourceGroups/{}", app.sub, app.rg);
    let deps = format!("{rg}/providers/Microsoft.Resources/deployments");
    let deep = format!(
        "{{/* it's */ properties:{{mode:'Incremental', template:{{a: {}1{}}}}}}}",
        "[".repeat(2000),
        "]".repeat(2000)
    );
    let r = app
        .send_raw(
            reqwest::Method::PUT,
            &format!("{deps}/c1?api-version=2022-09-01"),
            deep.into_bytes(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);

    let params = json!({"workspaceName": {"value": "wsre"}, "location": {"value": "eastus"}});
    let mut bad = template();
    bad["resources"][3]["properties"]["publicNetworkAccess"] = json!("Bogus");
    let body =
        json!({"properties": {"mode": "Incremental", "template": bad, "parameters": params}});
    let validated = app
        .post(
            &format!("{deps}/c2/validate?api-version=2022-09-01"),
            Some(body.clone()),
        )
        .await;
    let put = app
        .put(&format!("{deps}/c2?api-version=2022-09-01"), body)
        .await;
    assert_eq!(
        (validated.status, validated.code()),
        (put.status, put.code()),
        "{} / {}",
        validated.text,
        put.text
    );
    assert_eq!(put.status, 400, "{}", put.text);

    let ws = format!(
        "{rg}/providers/Microsoft.MachineLearningServices/workspaces/wsre?api-version=2024-04-01"
    );
    for (dep, friendly) in [("r1", "one"), ("r2", "two")] {
        let mut t = template();
        t["resources"][3]["properties"]["friendlyName"] = json!(friendly);
        let r = app
            .put(
                &format!("{deps}/{dep}?api-version=2022-09-01"),
                json!({"properties": {"mode": "Incremental", "template": t, "parameters": params}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(
            app.get(&ws).await.body["properties"]["friendlyName"],
            friendly,
            "after {dep}"
        );
    }
}

/// Found from outside, third round: a line comment ended by CR (or U+2028/U+2029) hid the
/// nesting after it from the lenient reader's bound (the parser's recursion then overflowed the
/// stack and aborted the server); 400 resources naming one resource 1,500 times each held the
/// runtime's workers for 28 s.
#[tokio::test]
async fn line_comments_and_repeated_dependencies_do_not_take_the_server_down() {
    let app = TestApp::spawn().await;
    let rg = format!("/subscriptions/{}/resourceGroups/{}", app.sub, app.rg);
    let deps = format!("{rg}/providers/Microsoft.Resources/deployments");
    let n = 20_000;
    for end in ["\r", "\u{2028}", "\u{2029}"] {
        let body = format!(
            "{{properties:{{mode:\"Incremental\",template: // c{end}{}{}}}}}",
            "[".repeat(n),
            "]".repeat(n)
        );
        let r = app
            .send_raw(
                reqwest::Method::PUT,
                &format!("{deps}/deep?api-version=2021-04-01"),
                body.into_bytes(),
            )
            .await;
        assert_eq!(r.status, 400, "{end:?}: {}", r.text);
    }
    let mut resources = vec![
        json!({"type": "Microsoft.MachineLearningServices/workspaces", "name": "wsq", "location": "eastus"}),
    ];
    for i in 0..400 {
        resources.push(json!({"type": format!("a{i}/b"), "name": format!("n{i}"), "dependsOn": vec!["wsq"; 1500]}));
    }
    let started = std::time::Instant::now();
    let r = app
        .put(
            &format!("{deps}/dq?api-version=2021-04-01"),
            json!({"properties": {"mode": "Incremental", "template": {"resources": resources}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let deps_listed = r.body["properties"]["dependencies"].as_array().unwrap();
    assert_eq!(deps_listed.len(), 400);
    assert_eq!(deps_listed[0]["dependsOn"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get(&format!("{rg}?api-version=2021-04-01"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn deployment_names_follow_arms_rules() {
    let app = TestApp::spawn().await;
    let deps = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Resources/deployments",
        app.sub, app.rg
    );
    let body = json!({"properties": {"mode": "Incremental", "template": {"resources": []}}});
    let long = "d".repeat(65);
    let names = [
        (
            long.clone(),
            amlite::arm::errors::deployment_name_too_long(&long, 65),
        ),
        (
            "d$@!".to_string(),
            amlite::arm::errors::deployment_name_invalid("d$@!", &['$', '@', '!']),
        ),
    ];
    for (name, want) in names {
        for validate in [false, true] {
            let path = if validate {
                format!("{deps}/{name}/validate?api-version=2021-04-01")
            } else {
                format!("{deps}/{name}?api-version=2021-04-01")
            };
            let r = if validate {
                app.post(&path, Some(body.clone())).await
            } else {
                app.put(&path, body.clone()).await
            };
            assert_eq!(r.status, 400, "{name}: {}", r.text);
            assert_eq!(
                (r.code(), r.message()),
                (want.code.as_str(), want.message.as_str())
            );
        }
    }
    // Letters, digits, `-`, `_`, `.` and parentheses pass the name check (this template is then
    // refused for deploying no workspace, which amlite requires).
    let r = app
        .put(
            &format!("{deps}/ok-name_(1).v2?api-version=2021-04-01"),
            body,
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "BadRequest"), "{}", r.text);
}
