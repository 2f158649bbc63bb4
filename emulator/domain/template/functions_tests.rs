#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::super::eval::{Ctx, Target};

fn target() -> Target {
    Target {
        subscription: "sub".into(),
        resource_group: "rg".into(),
        location: "eastus".into(),
        tenant: "tenant".into(),
        deployment: "d".into(),
        fresh: uuid::Uuid::nil(),
    }
}

fn eval(expr: &str) -> Result<serde_json::Value, String> {
    let template = json!({
        "parameters": {"name": {"type": "string"}, "opt": {"type": "string", "defaultValue": "[concat(parameters('name'), '-x')]"}},
        "variables": {"self": "[variables('self')]", "list": [1, 2]},
    });
    let given = json!({"name": {"value": "ws"}});
    let t = target();
    let given = given.as_object().unwrap().clone();
    let ctx = Ctx::new(&template, &given, &t);
    ctx.value(&json!(expr))
}

#[test]
fn resource_ids_follow_the_type_segments() {
    assert_eq!(
        eval("[resourceId('Microsoft.Storage/storageAccounts/blobServices/containers', 'sa', 'default', 'c')]"),
        Ok(json!("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/c"))
    );
    assert_eq!(
        eval("[resourceId('other', 'Microsoft.KeyVault/vaults', parameters('name'))]"),
        Ok(json!(
            "/subscriptions/sub/resourceGroups/other/providers/Microsoft.KeyVault/vaults/ws"
        ))
    );
    assert_eq!(
        eval("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r')]"),
        Ok(json!(
            "/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/r"
        ))
    );
    assert!(eval("[resourceId('Microsoft.KeyVault/vaults')]").is_err());
}

#[test]
fn defaults_variables_and_lazy_if() {
    assert_eq!(eval("[parameters('opt')]"), Ok(json!("ws-x")));
    assert_eq!(eval("[variables('list')[1]]"), Ok(json!(2)));
    // The branch not taken is not evaluated (it would fail).
    assert_eq!(
        eval("[if(equals(parameters('name'), 'ws'), 'yes', variables('none'))]"),
        Ok(json!("yes"))
    );
    assert_eq!(eval("[subscription().tenantId]"), Ok(json!("tenant")));
    assert_eq!(eval("[json('null')]"), Ok(json!(null)));
    assert_eq!(eval("[[literal]"), Ok(json!("[literal]")));
}

#[test]
fn errors_name_what_is_wrong() {
    assert!(eval("[variables('self')]").unwrap_err().contains("cycle"));
    assert!(eval("[nosuch()]").unwrap_err().contains("'nosuch'"));
    assert!(eval("[parameters('missing')]")
        .unwrap_err()
        .contains("'missing'"));
    assert!(eval("[and(1, 2)]").is_err());
    assert!(eval("[if(1, 2, 3)]").is_err());
}

#[test]
fn unique_string_is_azures() {
    // Azure's answer for these inputs (recorded, test_workspace_managednetwork_outbound_rule_operations).
    let parts = ["featurestore", "joharrin-sdk-tests", "test-ws-000006_mvnet"].map(String::from);
    assert_eq!(super::unique_string(&parts), "vs7cocnlfbbdg");
    for s in ["", "a", "abcd", "abcde", "abcdefg", "abcdefgh", "abcdefghi"] {
        assert_eq!(super::unique_string(&[s.to_string()]).len(), 13);
    }
}

#[test]
fn unique_string_and_guid_are_deterministic() {
    let a = eval("[uniqueString('a', 'b')]").unwrap();
    assert_eq!(a, eval("[uniqueString('a', 'b')]").unwrap());
    assert_eq!(a.as_str().map(str::len), Some(13));
    let g = eval("[guid('x')]").unwrap();
    assert!(uuid::Uuid::parse_str(g.as_str().unwrap()).is_ok());
}

#[test]
fn exponential_templates_run_out_of_budget_instead_of_memory() {
    let mut vars = serde_json::Map::new();
    vars.insert("v0".into(), json!("0123456789abcdef"));
    for i in 1..64 {
        vars.insert(
            format!("v{i}"),
            json!(format!(
                "[concat(variables('v{0}'), variables('v{0}'))]",
                i - 1
            )),
        );
    }
    let template = json!({ "variables": vars });
    let t = target();
    let given = serde_json::Map::new();
    let ctx = Ctx::new(&template, &given, &t);
    let err = ctx.value(&json!("[variables('v63')]")).unwrap_err();
    assert!(err.contains("MiB"), "{err}");
}

#[test]
fn function_results_count_against_the_budget() {
    // `string(array(x))` re-escapes x as JSON: each pair doubles the backslashes, with no
    // variable reused.
    let seed = format!("'{}'", "\\\\".repeat(500));
    let expr = (0..24).fold(seed, |e, _| format!("string(array({e}))"));
    let template = json!({});
    let t = target();
    let given = serde_json::Map::new();
    let ctx = Ctx::new(&template, &given, &t);
    let err = ctx.value(&json!(format!("[{expr}]"))).unwrap_err();
    assert!(err.contains("MiB"), "{err}");
}
