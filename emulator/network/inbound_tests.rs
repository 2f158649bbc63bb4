//! Tests of the SPEC 6.3 scoring decision: the full caller × endpoint PNA × workspace PNA matrix
//! (ISO-5, ISO-2, ISO-11) and the ISO-2 boundary.

use super::*;
use chrono::TimeZone;

const WS: &str = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
const OTHER_WS: &str = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/other";
const VNET_PREFIX: &str =
    "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/";

fn vnet_id(name: &str) -> String {
    format!("{VNET_PREFIX}{name}")
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    match Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single() {
        Some(t) => t,
        None => panic!("bad test date"),
    }
}

fn pe(
    name: &str,
    vnet: &str,
    ws: &str,
    status: ConnectionStatus,
    created: DateTime<Utc>,
) -> PrivateEndpointView {
    PrivateEndpointView {
        id: format!("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/{name}"),
        vnet_id: vnet_id(vnet),
        workspace_id: ws.to_string(),
        status,
        created_at: created,
    }
}

/// The world of the matrix: one VNet per caller kind, each with the PE that defines it.
fn world() -> Vec<PrivateEndpointView> {
    let new = at(2023, 1, 10, 12, 0, 0);
    let old = at(2022, 4, 15, 9, 30, 0);
    vec![
        pe(
            "pe-approved",
            "v-approved",
            WS,
            ConnectionStatus::Approved,
            new,
        ),
        pe("pe-old", "v-old", WS, ConnectionStatus::Approved, old),
        pe(
            "pe-pending",
            "v-pending",
            WS,
            ConnectionStatus::Pending,
            new,
        ),
        pe(
            "pe-rejected",
            "v-rejected",
            WS,
            ConnectionStatus::Rejected,
            new,
        ),
        pe(
            "pe-other",
            "v-otherws",
            OTHER_WS,
            ConnectionStatus::Approved,
            new,
        ),
    ]
}

#[derive(Debug)]
enum Want {
    Private(&'static str),
    Public,
    Refused(&'static str, &'static [&'static str]),
}

use PublicNetworkAccess::{Disabled as D, Enabled as E};

const BASE: &str = "Public network access to this online endpoint is disabled";
const HOW: &str = "set the endpoint's publicNetworkAccess to Enabled";

const PENDING: &[&str] = &[
    BASE,
    HOW,
    "is Pending, not approved",
    "privateEndpointConnections",
];
const REJECTED: &[&str] = &[
    BASE,
    HOW,
    "is Rejected, not approved",
    "privateEndpointConnections",
];
const OLD: &[&str] = &[
    BASE,
    HOW,
    "pe-old",
    "2022-04-15T09:30:00Z",
    "must be re-created",
];

/// One row per caller: (caller, outcome when the endpoint PNA is Enabled, when Disabled).
fn matrix() -> Vec<(CallerNetwork, Want, Want)> {
    let vnet = |n: &str| CallerNetwork::Vnet { id: vnet_id(n) };
    let refused = |rule, fragments| Want::Refused(rule, fragments);
    vec![
        (
            CallerNetwork::Internet,
            Want::Public,
            refused("ISO-5", &[BASE, HOW, "from the internet"]),
        ),
        (
            vnet("v-approved"),
            Want::Private("pe-approved"),
            Want::Private("pe-approved"),
        ),
        (
            vnet("v-none"),
            Want::Public,
            refused("ISO-5", &[BASE, HOW, "has no private endpoint"]),
        ),
        (vnet("v-old"), Want::Public, refused("ISO-2", OLD)),
        (vnet("v-pending"), Want::Public, refused("ISO-5", PENDING)),
        (vnet("v-rejected"), Want::Public, refused("ISO-5", REJECTED)),
        (
            vnet("v-otherws"),
            Want::Public,
            refused("ISO-5", &[BASE, HOW, "targets another workspace"]),
        ),
    ]
}

/// Every cell of caller × endpoint PNA × workspace PNA (7 × 2 × 2 = 28) is decided and checked.
/// The workspace PNA loop asserts the same outcome for both values (ISO-11: advisory only).
#[test]
fn iso_5_iso_2_iso_11_full_matrix() {
    let pes = world();
    let mut cells = 0;
    for (caller, when_enabled, when_disabled) in matrix() {
        for (ep, want) in [(E, &when_enabled), (D, &when_disabled)] {
            for ws in [E, D] {
                let got = decide(&caller, &pes, WS, ep, ws);
                let cell = format!("caller {caller:?}, endpoint {ep}, workspace {ws}");
                check(&got, want, &cell);
                cells += 1;
            }
        }
    }
    assert_eq!(cells, 7 * 2 * 2);
}

fn check(got: &InboundDecision, want: &Want, cell: &str) {
    match (got, want) {
        (
            InboundDecision::Allowed {
                path: Path::Private { pe_id },
            },
            Want::Private(name),
        ) => {
            assert!(pe_id.ends_with(&format!("/{name}")), "{cell}: used {pe_id}");
        }
        (InboundDecision::Allowed { path: Path::Public }, Want::Public) => {}
        (InboundDecision::Refused(r), Want::Refused(rule, fragments)) => {
            assert_eq!(r.rule, *rule, "{cell}: {}", r.message);
            assert_eq!(r.code, "Forbidden", "{cell}");
            for f in *fragments {
                assert!(r.message.contains(f), "{cell}: {:?} lacks {f:?}", r.message);
            }
        }
        _ => panic!("{cell}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn pe_cutoff_is_2022_05_24_midnight_utc() {
    assert_eq!(PE_CUTOFF, at(2022, 5, 24, 0, 0, 0));
}

#[test]
fn iso_2_boundary_one_second_before_and_at_cutoff() {
    let caller = CallerNetwork::Vnet { id: vnet_id("v1") };
    let before = [pe(
        "pe1",
        "v1",
        WS,
        ConnectionStatus::Approved,
        at(2022, 5, 23, 23, 59, 59),
    )];
    let exact = [pe(
        "pe1",
        "v1",
        WS,
        ConnectionStatus::Approved,
        at(2022, 5, 24, 0, 0, 0),
    )];

    match decide(&caller, &before, WS, D, D) {
        InboundDecision::Refused(r) => {
            assert_eq!(r.rule, "ISO-2");
            assert!(r.message.contains("2022-05-23T23:59:59Z"), "{}", r.message);
            assert!(r.message.contains("re-created"), "{}", r.message);
        }
        other => panic!("old PE must not give a private path: {other:?}"),
    }
    assert_eq!(
        decide(&caller, &before, WS, E, D),
        InboundDecision::Allowed { path: Path::Public },
        "an old PE falls back to the public path"
    );
    assert_eq!(
        decide(&caller, &exact, WS, D, D),
        InboundDecision::Allowed {
            path: Path::Private {
                pe_id: exact[0].id.clone()
            }
        }
    );
}

#[test]
fn recreated_pe_beside_old_one_gives_private_path() {
    let caller = CallerNetwork::Vnet { id: vnet_id("v1") };
    let pes = [
        pe(
            "old",
            "v1",
            WS,
            ConnectionStatus::Approved,
            at(2021, 1, 1, 0, 0, 0),
        ),
        pe(
            "new",
            "v1",
            WS,
            ConnectionStatus::Approved,
            at(2024, 1, 1, 0, 0, 0),
        ),
    ];
    let got = decide(&caller, &pes, WS, D, E);
    assert_eq!(
        got,
        InboundDecision::Allowed {
            path: Path::Private {
                pe_id: pes[1].id.clone()
            }
        }
    );
}

#[test]
fn ids_compare_case_insensitively() {
    let caller = CallerNetwork::Vnet {
        id: vnet_id("V1").to_uppercase(),
    };
    let pes = [pe(
        "pe1",
        "v1",
        &WS.to_lowercase(),
        ConnectionStatus::Approved,
        at(2023, 1, 1, 0, 0, 0),
    )];
    let ws_upper = WS.to_uppercase();
    assert!(matches!(
        decide(&caller, &pes, &ws_upper, D, D),
        InboundDecision::Allowed {
            path: Path::Private { .. }
        }
    ));
}

#[test]
fn approved_pe_in_another_vnet_does_not_help() {
    let pes = [pe(
        "pe1",
        "v1",
        WS,
        ConnectionStatus::Approved,
        at(2023, 1, 1, 0, 0, 0),
    )];
    let caller = CallerNetwork::Vnet { id: vnet_id("v2") };
    assert_eq!(private_path_pe(&caller, &pes, WS), None);
    assert!(
        matches!(decide(&caller, &pes, WS, D, E), InboundDecision::Refused(r) if r.rule == "ISO-5")
    );
    assert_eq!(private_path_pe(&CallerNetwork::Internet, &pes, WS), None);
}

#[test]
fn disconnected_pe_is_explained() {
    let caller = CallerNetwork::Vnet { id: vnet_id("v1") };
    let pes = [pe(
        "pe1",
        "v1",
        WS,
        ConnectionStatus::Disconnected,
        at(2023, 1, 1, 0, 0, 0),
    )];
    match decide(&caller, &pes, WS, D, D) {
        InboundDecision::Refused(r) => {
            assert_eq!(r.rule, "ISO-5");
            assert!(
                r.message.contains("Disconnected, not approved"),
                "{}",
                r.message
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn connection_status_parses_any_case() {
    assert_eq!(
        ConnectionStatus::parse("approved"),
        Some(ConnectionStatus::Approved)
    );
    assert_eq!(
        ConnectionStatus::parse("PENDING"),
        Some(ConnectionStatus::Pending)
    );
    assert_eq!(
        ConnectionStatus::parse("Rejected"),
        Some(ConnectionStatus::Rejected)
    );
    assert_eq!(
        ConnectionStatus::parse("disconnected"),
        Some(ConnectionStatus::Disconnected)
    );
    assert_eq!(ConnectionStatus::parse("ok"), None);
    assert_eq!(ConnectionStatus::Pending.as_str(), "Pending");
}
