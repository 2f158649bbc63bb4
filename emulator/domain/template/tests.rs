#![allow(clippy::unwrap_used)]
use serde_json::{json, Value};

use super::*;

fn target() -> Target {
    Target {
        subscription: "s".into(),
        resource_group: "rg".into(),
        location: "westus".into(),
        tenant: "t".into(),
        deployment: "d".into(),
        fresh: uuid::Uuid::nil(),
    }
}

/// The shape of the azure-ai-ml workspace template, cut down: conditional associated resources,
/// a workspace depending on them, a child connection and a nested deployment.
fn template() -> Value {
    json!({
        "parameters": {
            "workspaceName": {"type": "string"},
            "location": {"type": "string"},
            "registryOption": {"type": "string", "defaultValue": "none"},
            "featureStore": {"type": "string", "defaultValue": "false"},
            "storageName": {"type": "string", "defaultValue": "[concat('sa', uniqueString(parameters('workspaceName')))]"},
            "secret": {"type": "securestring", "defaultValue": ""},
            "tags": {"type": "object", "defaultValue": {}}
        },
        "variables": {
            "storage": "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageName'))]",
            "aiLocation": "[if(equals(toLower(parameters('location')), 'centraluseuap'), 'southcentralus', parameters('location'))]"
        },
        "resources": [
            {"condition": "[equals(parameters('registryOption'), 'new')]", "type": "Microsoft.ContainerRegistry/registries",
             "name": "cr", "location": "[parameters('location')]"},
            {"type": "Microsoft.Storage/storageAccounts", "name": "[parameters('storageName')]", "location": "[parameters('location')]"},
            {"type": "Microsoft.OperationalInsights/workspaces", "name": "la", "location": "[variables('aiLocation')]"},
            {"type": "Microsoft.Insights/components", "name": "ai", "location": "[variables('aiLocation')]",
             "dependsOn": ["[resourceId('Microsoft.OperationalInsights/workspaces', 'la')]"]},
            {"type": "Microsoft.MachineLearningServices/workspaces", "name": "[parameters('workspaceName')]",
             "location": "[parameters('location')]", "kind": "Default", "tags": "[parameters('tags')]",
             "dependsOn": ["[variables('storage')]", "[resourceId('Microsoft.Insights/components', 'ai')]",
                           "[resourceId('Microsoft.ContainerRegistry/registries', 'cr')]"],
             "properties": {"storageAccount": "[variables('storage')]",
                            "containerRegistry": "[if(equals(parameters('registryOption'), 'none'), json('null'), 'x')]"},
             "resources": [
                {"condition": "[equals(parameters('featureStore'), 'true')]", "type": "connections", "name": "Offline",
                 "properties": {"category": "ADLSGen2"}}
             ]},
            {"condition": "[equals(parameters('featureStore'), 'true')]", "type": "Microsoft.Resources/deployments",
             "name": "[concat(parameters('workspaceName'), '-fs')]",
             "properties": {"mode": "Incremental", "template": {"resources": [
                 {"type": "Microsoft.Authorization/roleAssignments", "name": "[guid(parameters('workspaceName'))]",
                  "scope": "[variables('storage')]"}
             ]}}}
        ]
    })
}

fn run(params: Value) -> Result<Evaluation, TemplateError> {
    evaluate(&template(), params.as_object().unwrap(), &target())
}

#[test]
fn a_workspace_template_deploys_what_its_conditions_allow() {
    let e = run(json!({"workspaceName": {"value": "ws"}, "location": {"value": "centraluseuap"}}))
        .unwrap();
    let sa = format!("sa{}", functions::unique_string(&["ws".to_string()]));
    let p = "/subscriptions/s/resourceGroups/rg/providers";
    assert_eq!(
        e.output_resources(),
        vec![
            format!("{p}/Microsoft.Insights/components/ai"),
            format!("{p}/Microsoft.MachineLearningServices/workspaces/ws"),
            format!("{p}/Microsoft.OperationalInsights/workspaces/la"),
            format!("{p}/Microsoft.Storage/storageAccounts/{sa}"),
        ]
    );
    let providers = serde_json::to_value(e.providers()).unwrap();
    assert_eq!(
        providers[0],
        json!({"namespace": "Microsoft.Storage", "resourceTypes": [{"resourceType": "storageAccounts", "locations": ["centraluseuap"]}]})
    );
    assert_eq!(
        providers[1]["resourceTypes"][0]["locations"],
        json!(["southcentralus"])
    );
    assert_eq!(providers.as_array().map(Vec::len), Some(4));
    // The registry's condition was false: the workspace's dependency on it is dropped.
    let deps = serde_json::to_value(e.dependencies()).unwrap();
    assert_eq!(deps.as_array().map(Vec::len), Some(2));
    assert_eq!(deps[1]["resourceName"], "ws");
    assert_eq!(
        deps[1]["dependsOn"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["resourceType"].clone())
            .collect::<Vec<_>>(),
        vec![
            json!("Microsoft.Storage/storageAccounts"),
            json!("Microsoft.Insights/components")
        ]
    );
    let ws = e
        .of_type("microsoft.machinelearningservices/workspaces")
        .next()
        .unwrap();
    assert_eq!(ws.body["properties"]["containerRegistry"], Value::Null);
    assert_eq!(
        ws.body["properties"]["storageAccount"],
        json!(format!("{p}/Microsoft.Storage/storageAccounts/{sa}"))
    );
    // Parameters as Azure answers them: typed, defaults evaluated, secure values not echoed.
    assert_eq!(
        e.parameters["registryOption"],
        json!({"type": "String", "value": "none"})
    );
    assert_eq!(
        e.parameters["storageName"],
        json!({"type": "String", "value": sa})
    );
    assert_eq!(e.parameters["secret"], json!({"type": "SecureString"}));
    assert_eq!(e.parameters["tags"], json!({"type": "Object", "value": {}}));
    assert!(e.template_hash.parse::<u64>().is_ok());
}

#[test]
fn child_resources_and_nested_deployments_are_deployed_when_their_condition_holds() {
    let e = run(
        json!({"workspaceName": {"value": "ws"}, "location": {"value": "westus"},
                       "featureStore": {"value": "true"}, "storageName": {"value": "sa1"}}),
    )
    .unwrap();
    let ids = e.output_resources();
    let p = "/subscriptions/s/resourceGroups/rg/providers";
    assert!(ids.contains(&format!(
        "{p}/Microsoft.MachineLearningServices/workspaces/ws/connections/Offline"
    )));
    let role = ids.iter().find(|i| i.contains("roleAssignments")).unwrap();
    assert!(role.starts_with(&format!("{p}/Microsoft.Storage/storageAccounts/sa1/providers/Microsoft.Authorization/roleAssignments/")));
    // The nested deployment is a provider entry (with no location) but not an output resource.
    let providers = serde_json::to_value(e.providers()).unwrap();
    assert_eq!(
        providers.as_array().unwrap().last().unwrap(),
        &json!({"namespace": "Microsoft.Resources", "resourceTypes": [{"resourceType": "deployments", "locations": [null]}]})
    );
    assert!(!ids
        .iter()
        .any(|i| i.contains("Microsoft.Resources/deployments")));
}

#[test]
fn missing_or_unknown_parameters_and_bad_templates_are_errors() {
    let missing = run(json!({"workspaceName": {"value": "ws"}})).unwrap_err();
    assert!(
        missing.0.contains("'location' is not provided"),
        "{}",
        missing.0
    );
    let extra = run(
        json!({"workspaceName": {"value": "ws"}, "location": {"value": "x"}, "nope": {"value": 1}}),
    )
    .unwrap_err();
    assert!(extra.0.contains("'nope'"), "{}", extra.0);
    for bad in [
        json!({"resources": [{"type": "Microsoft.Storage/storageAccounts", "name": "a/b"}]}),
        json!({"resources": [{"type": "Microsoft.Storage/storageAccounts", "name": "a", "copy": {"name": "c", "count": 2}}]}),
        json!({"resources": [{"type": "Microsoft.Storage/storageAccounts", "name": "[nosuch()]"}]}),
        json!({"resources": [{"condition": "[concat('a')]", "type": "Microsoft.Storage/storageAccounts", "name": "a"}]}),
        json!({"resources": {"a": {}}}),
        json!({"resources": [{"name": "a"}]}),
    ] {
        assert!(
            evaluate(&bad, &serde_json::Map::new(), &target()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn a_false_condition_does_not_cascade_to_child_resources() {
    let t = json!({"resources": [
        {"condition": false, "type": "Microsoft.MachineLearningServices/workspaces", "name": "ws",
         "resources": [{"type": "connections", "name": "c"}, {"condition": "[equals(1, 2)]", "type": "connections", "name": "d"}]}
    ]});
    let e = evaluate(&t, &serde_json::Map::new(), &target()).unwrap();
    let ids: Vec<String> = e.output_resources();
    assert_eq!(ids, vec!["/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/connections/c".to_string()]);
}

#[test]
fn nesting_values_expressions_and_references_share_one_recursion_bound() {
    // Each variable wraps the next in 60 arrays and refers on: 60 x 60 levels in all.
    let mut vars = serde_json::Map::new();
    for i in 0..60 {
        let inner = json!(format!("[variables('v{}')]", i + 1));
        let wrapped = (0..60).fold(inner, |v, _| json!([v]));
        vars.insert(format!("v{i}"), wrapped);
    }
    vars.insert("v60".into(), json!("end"));
    let t = json!({"variables": vars, "resources": [
        {"type": "Microsoft.Storage/storageAccounts", "name": "a", "properties": {"x": "[variables('v0')]"}}
    ]});
    let err = evaluate(&t, &serde_json::Map::new(), &target()).unwrap_err();
    assert!(err.0.contains("nested too deeply"), "{}", err.0);
}

#[test]
fn a_nested_deployment_deploys_to_its_own_resource_group() {
    let nested = |scope: &str| {
        json!({"type": "Microsoft.Resources/deployments", "name": "inner", "resourceGroup": "other",
               "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": scope},
                              "template": {"resources": [
                 {"type": "Microsoft.KeyVault/vaults", "name": "[concat(resourceGroup().name, '-', deployment().name)]"}]}}})
    };
    for (scope, name) in [("outer", "rg-d"), ("inner", "other-inner")] {
        let t = json!({"resources": [nested(scope)]});
        let e = evaluate(&t, &serde_json::Map::new(), &target()).unwrap();
        assert_eq!(
            e.output_resources(),
            vec![format!(
                "/subscriptions/s/resourceGroups/other/providers/Microsoft.KeyVault/vaults/{name}"
            )],
            "{scope}"
        );
    }
}

#[test]
fn reference_calls_add_dependencies_with_their_api_version() {
    // Recorded (test_featurestore_managednetwork_provision): a nested deployment evaluated in the
    // outer scope depends on a user-assigned identity both through `dependsOn` and, with the
    // api-version, through the `reference()` calls of its template; an inner-scope one does not.
    let uai = "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'uai')]";
    let nested = |name: &str, scope: &str| {
        json!({"type": "Microsoft.Resources/deployments", "name": name, "dependsOn": [uai],
               "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": scope},
                              "template": {"resources": [
                 {"type": "Microsoft.Authorization/roleAssignments", "name": "ra",
                  "properties": {"principalId": format!("[reference({}, '2018-11-30').principalId]", &uai[1..uai.len() - 1]),
                                 "again": format!("[reference({}, '2018-11-30').clientId]", &uai[1..uai.len() - 1])}}]}}})
    };
    let t = json!({"resources": [
        {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "name": "uai"},
        nested("outer-one", "outer"),
        nested("inner-one", "inner"),
    ]});
    let e = evaluate(&t, &serde_json::Map::new(), &target()).unwrap();
    let deps = serde_json::to_value(e.dependencies()).unwrap();
    let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai";
    let plain = json!({"id": id, "resourceType": "Microsoft.ManagedIdentity/userAssignedIdentities", "resourceName": "uai"});
    let mut with_api = plain.clone();
    with_api["apiVersion"] = json!("2018-11-30");
    assert_eq!(deps[0]["resourceName"], "outer-one");
    assert_eq!(deps[0]["dependsOn"], json!([plain, with_api]));
    assert_eq!(deps[1]["resourceName"], "inner-one");
    assert_eq!(deps[1]["dependsOn"], json!([plain]));
}

#[test]
fn given_parameters_must_have_their_type_and_an_allowed_value() {
    let t = json!({"parameters": {
        "n": {"type": "int", "defaultValue": 1},
        "flag": {"type": "bool", "defaultValue": false},
        "sku": {"type": "string", "defaultValue": "Basic", "allowedValues": ["Basic", "Premium"]},
        "zones": {"type": "array", "defaultValue": [], "allowedValues": ["1", "2"]}
    }, "resources": []});
    let run = |p: Value| evaluate(&t, p.as_object().unwrap(), &target());
    let err = |p: Value| run(p).unwrap_err().0;
    assert_eq!(
        err(json!({"n": {"value": "5"}})),
        "The provided value for the template parameter 'n' is not valid. Expected a value of type 'Integer', but received a value of type 'String'. Please see https://aka.ms/arm-create-parameter-file for usage details."
    );
    assert!(err(json!({"flag": {"value": "true"}}))
        .contains("Expected a value of type 'Boolean', but received a value of type 'String'"));
    assert!(err(json!({"n": {"value": 1.5}})).contains("received a value of type 'Float'"));
    assert!(err(json!({"sku": {"value": null}}))
        .contains("Expected a value of type 'String, Uri', but received a value of type 'Null'"));
    assert_eq!(
        err(json!({"sku": {"value": "Gold"}})),
        "The provided value 'Gold' for the template parameter 'sku' is not valid. The parameter value is not part of the allowed value(s): 'Basic,Premium'. Please see https://aka.ms/arm-create-parameter-file for usage details."
    );
    assert!(err(json!({"zones": {"value": ["1", "3"]}})).contains("allowed value(s): '1,2'"));
    let ok = run(json!({"n": {"value": 7}, "flag": {"value": true}, "sku": {"value": "premium"}, "zones": {"value": ["2"]}})).unwrap();
    assert_eq!(ok.parameters["n"]["value"], 7);
    let bad_type = json!({"parameters": {"x": {"type": "number"}}, "resources": []});
    let e = evaluate(
        &bad_type,
        json!({"x": {"value": 1}}).as_object().unwrap(),
        &target(),
    )
    .unwrap_err();
    assert!(e.0.contains("has type 'number'"), "{}", e.0);
}

#[test]
fn depends_on_must_name_a_template_resource_and_not_go_round() {
    let sa = |name: &str, deps: Value| json!({"type": "Microsoft.Storage/storageAccounts", "name": name, "dependsOn": deps});
    let run = |resources: Value| {
        evaluate(
            &json!({"resources": resources}),
            &serde_json::Map::new(),
            &target(),
        )
    };
    assert_eq!(
        run(json!([sa("a", json!(["[resourceId('Microsoft.Compute/virtualMachines', 'vm')]"]))])).unwrap_err().0,
        "The resource 'Microsoft.Compute/virtualMachines/vm' is not defined in the template. Please see https://aka.ms/arm-template for usage details."
    );
    assert_eq!(
        run(json!([sa("a", json!(["b"])), sa("b", json!(["[resourceId('Microsoft.Storage/storageAccounts', 'a')]"]))])).unwrap_err().0,
        "Circular dependency detected on resource: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a'. Please see https://aka.ms/arm-syntax-resources for usage details."
    );
    assert!(run(json!([sa("a", json!(["a"]))]))
        .unwrap_err()
        .0
        .starts_with("Circular dependency"));
    // A dependency on a resource whose condition is false is dropped, and a diamond is no cycle.
    let off = json!({"condition": false, "type": "Microsoft.KeyVault/vaults", "name": "kv"});
    let e = run(json!([
        off,
        sa("d", json!([])),
        sa("b", json!(["d"])),
        sa("c", json!(["d"])),
        sa(
            "a",
            json!(["b", "c", "[resourceId('Microsoft.KeyVault/vaults', 'kv')]"])
        )
    ]))
    .unwrap();
    assert_eq!(e.resources.len(), 4);
}

#[test]
fn an_inner_scope_nested_deployment_checks_what_it_gives_its_template() {
    let nested = |params: Value| {
        json!({"resources": [{"type": "Microsoft.Resources/deployments", "name": "inner",
               "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                              "parameters": params,
                              "template": {"parameters": {"n": {"type": "int"}}, "resources": []}}}]})
    };
    let run = |t: Value| evaluate(&t, &serde_json::Map::new(), &target());
    assert!(run(nested(json!({"n": {"value": 1}}))).is_ok());
    assert!(run(nested(json!({"n": {"value": 1}, "x": {"value": 2}})))
        .unwrap_err()
        .0
        .contains("The template parameters 'x' in the parameters file are not valid"));
    assert!(run(nested(json!({"n": {"value": "1"}})))
        .unwrap_err()
        .0
        .contains("Expected a value of type 'Integer'"));
}

#[test]
fn many_and_repeated_dependencies_stay_bounded() {
    // Found from outside: 400 resources naming one resource 1,500 times each stalled the server
    // (a linear search per name) and stored every repetition.
    let mut resources = vec![json!({"type": "Microsoft.Storage/storageAccounts", "name": "z"})];
    for i in 0..400 {
        resources.push(
            json!({"type": "Microsoft.KeyVault/vaults", "name": format!("n{i}"),
                              "dependsOn": vec!["z"; 1500]}),
        );
    }
    let t = json!({"resources": resources});
    // (Its time is asserted over HTTP: tests/api/template_deployments_hardening.rs.)
    let e = evaluate(&t, &serde_json::Map::new(), &target()).unwrap();
    assert_eq!(e.dependencies().len(), 400);
    assert!(e.dependencies().iter().all(|d| d.depends_on.len() == 1));
    let many: Vec<Value> = (0..801)
        .map(|i| json!({"type": "Microsoft.KeyVault/vaults", "name": format!("v{i}")}))
        .collect();
    let err = evaluate(
        &json!({"resources": many}),
        &serde_json::Map::new(),
        &target(),
    )
    .unwrap_err();
    assert_eq!(
        err.0,
        "The number of template resources limit exceeded. Limit: '800' and actual: '801'."
    );
}
