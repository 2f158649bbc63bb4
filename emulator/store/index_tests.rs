//! The id index against SQLite (issue 14): after a seeded random run of upserts and (cascading)
//! deletes through the store's own write paths, every lookup the index answers equals the SQL
//! that answered it before, and the usage totals equal the `usage` table the triggers keep.
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::{resources, Store};
use crate::domain::{ProvisioningState, ResourceId, ResourceKind};

const WS: &str =
    "/subscriptions/S1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w";

async fn sql_ids(store: &Store, sql: &str, binds: &[&str]) -> Vec<String> {
    let mut q = sqlx::query_as::<_, (String,)>(sql);
    for b in binds {
        q = q.bind(*b);
    }
    let rows = q
        .fetch_all(&mut *store.reader().await.unwrap())
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0.to_ascii_lowercase()).collect()
}

async fn agree(store: &Store, endpoints: &[String]) {
    let kind = ResourceKind::OnlineDeployment.tag();
    for ep in endpoints {
        let want = sql_ids(
            store,
            "SELECT id FROM resources WHERE parent_id = ? AND kind = ? ORDER BY seq",
            &[ep, kind],
        )
        .await;
        assert_eq!(
            store.cache().children(ep, kind),
            Some(want),
            "children of {ep}"
        );
    }
    for name in ["e0", "E1", "blue", "green"] {
        for kind in [ResourceKind::OnlineEndpoint, ResourceKind::OnlineDeployment] {
            let want = sql_ids(
                store,
                "SELECT id FROM resources WHERE kind = ? AND name = ? ORDER BY seq",
                &[kind.tag(), name],
            )
            .await;
            assert_eq!(store.cache().by_kind_and_name(kind.tag(), name), Some(want));
        }
    }
    let usage: Vec<(String, String, i64, i64)> =
        sqlx::query_as("SELECT kind, scope, n, units FROM usage")
            .fetch_all(&mut *store.reader().await.unwrap())
            .await
            .unwrap();
    for (kind, scope, n, units) in usage {
        assert_eq!(
            store.cache().totals(&kind, &scope),
            Some((n, units)),
            "{kind} {scope}"
        );
    }
}

#[tokio::test]
async fn the_index_answers_what_sqlite_answers_after_random_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(Some(&dir.path().join("a.db"))).await.unwrap();
    assert!(store.rebuild_index().await.unwrap());
    let ws = ResourceId::from_string(WS.into());
    store
        .put(&ws, ResourceKind::Workspace, None, &json!({}))
        .await
        .unwrap();
    let endpoints: Vec<String> = (0..3)
        .map(|i| format!("{WS}/onlineEndpoints/e{i}"))
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(14);
    for step in 0..300 {
        let ep = ResourceId::from_string(endpoints[rng.gen_range(0..3)].clone());
        let dep = ep.child("deployments", ["blue", "green"][rng.gen_range(0..2)]);
        let region = ["eastus", "westus"][rng.gen_range(0..2)];
        match rng.gen_range(0..6) {
            0 | 1 => {
                let body = json!({ "location": region });
                store
                    .put(&ep, ResourceKind::OnlineEndpoint, Some(&ws), &body)
                    .await
                    .unwrap();
            }
            2 | 3 => {
                if store.get(&ep).await.unwrap().is_some() {
                    let state = [ProvisioningState::Succeeded, ProvisioningState::Failed]
                        [rng.gen_range(0..2)];
                    let body = json!({ "location": region, "instance_type": "Standard_DS3_v2",
                        "instance_count": rng.gen_range(1..4), "provisioning_state": state });
                    let mut tx = store.begin().await.unwrap();
                    resources::put_in(
                        &mut tx,
                        &dep,
                        ResourceKind::OnlineDeployment,
                        Some(&ep),
                        &body,
                    )
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                }
            }
            4 => {
                let mut tx = store.begin().await.unwrap();
                resources::delete_in(&mut tx, &ep).await.unwrap();
                tx.commit().await.unwrap();
            }
            _ => {
                store.delete(&dep).await.unwrap();
            }
        }
        if step % 10 == 0 {
            agree(&store, &endpoints).await;
        }
    }
    agree(&store, &endpoints).await;
    // A rebuilt index (a restart) is the same.
    store.close().await;
    let store = Store::open(Some(&dir.path().join("a.db"))).await.unwrap();
    assert!(store.rebuild_index().await.unwrap());
    agree(&store, &endpoints).await;
    store.close().await;
}
