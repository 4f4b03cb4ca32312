//! Placeholder values drawn from arbitrary strings always arrive inside their
//! own segment and decode back to the original value, over real HTTP.

use crate::common;

use graph_endpoint::{Error, Graph, GraphClient, graph_action};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;
use percent_encoding::percent_decode_str;
use proptest::prelude::*;

pub trait Reports: Graph {
    #[graph_action(
        GET,
        "/reports/getEmailActivityUserDetail(period='<period>')/content",
        expect = 200
    )]
    async fn email_activity(&self, period: &str) -> Result<serde_json::Value, Error>;
}

impl Reports for GraphClient {}

const BASE: &str = "/beta/deviceManagement/androidForWorkEnrollmentProfiles/";

fn decode(raw: &str) -> String {
    percent_decode_str(raw)
        .decode_utf8()
        .expect("valid UTF-8")
        .into_owned()
}

/// Strings rich in the characters that could break out of a segment.
fn hostile() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("/".to_owned()),
        Just("?".to_owned()),
        Just("#".to_owned()),
        Just("%".to_owned()),
        Just("%2F".to_owned()),
        Just("'".to_owned()),
        Just("..".to_owned()),
        Just(" ".to_owned()),
        Just("+&=;:@$".to_owned()),
        Just("x#EXT#@tenant.onmicrosoft.com".to_owned()),
        any::<String>(),
        "\\PC{0,8}",
    ];
    prop::collection::vec(pieces, 1..6).prop_map(|v| v.concat())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn segment_values_stay_in_their_segment(value in hostile()) {
        let rt = runtime();
        rt.block_on(async {
            let (emulator, graph) = common::emulator_and_client().await;
            let result = graph.get_profile(&value).await;
            if matches!(value.as_str(), "" | "." | "..") {
                // Such a value would name another resource: refused before sending.
                let refused = matches!(result, Err(Error::InvalidRequest { .. }));
                prop_assert!(refused, "{:?} is refused", value);
                prop_assert_eq!(emulator.request_count(), 0);
                return Ok(());
            }
            prop_assert!(result.unwrap_err().is_not_found());
            let request = emulator.last_request().unwrap();
            let raw = request.path.strip_prefix(BASE).expect("the prefix is untouched");
            prop_assert!(!raw.contains(['/', '?', '#']), "raw segment {:?}", raw);
            prop_assert_eq!(decode(raw), value);
            Ok(())
        })?;
    }

    #[test]
    fn quoted_values_stay_in_their_literal(value in hostile()) {
        let rt = runtime();
        rt.block_on(async {
            let (emulator, graph) = common::emulator_and_client().await;
            // The stand-in serves no reports: the call went out and came back a Graph 404.
            let answer = graph.email_activity(&value).await;
            prop_assert!(answer.is_err_and(|e| e.is_not_found() && e.graph_code() == Some("ResourceNotFound")));
            let request = emulator.last_request().unwrap();
            let raw = request
                .path
                .strip_prefix("/v1.0/reports/getEmailActivityUserDetail(period='")
                .and_then(|rest| rest.strip_suffix("')/content"))
                .expect("the literal parts are untouched");
            prop_assert!(!raw.contains(['/', '?', '#', '\'']), "raw literal {:?}", raw);
            // OData doubles `'` inside a literal.
            prop_assert_eq!(decode(raw), value.replace('\'', "''"));
            Ok(())
        })?;
    }

    #[test]
    fn filter_literals_match_exactly_the_value_they_quote(value in hostile()) {
        let rt = runtime();
        rt.block_on(async {
            let (emulator, graph) = common::emulator_and_client().await;
            let named = |name: &str| graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfile::named(name);
            let target = graph.create_profile(&named(&value)).await.unwrap();
            // A decoy that only a broken quote or encoding would match.
            graph.create_profile(&named(&format!("{value}'"))).await.unwrap();
            emulator.clear_requests();

            let page = graph
                .profiles()
                .filter(graph_endpoint::Filter::eq("displayName", &value))
                .first_page()
                .await
                .unwrap();
            let ids: Vec<_> = page.value.iter().map(|p| p.id().map(str::to_owned)).collect();
            prop_assert_eq!(ids, vec![target.id().map(str::to_owned)]);
            let raw = emulator.last_request().unwrap().path;
            let query = raw.split_once('?').map(|(_, q)| q).unwrap_or_default();
            // One parameter: nothing in the value split the query.
            prop_assert_eq!(query.matches('&').count(), 0, "{}", raw);
            prop_assert!(!query.contains(['#', '+', ' ', '\'']), "{}", raw);

            let starts = graph
                .profiles()
                .filter(graph_endpoint::Filter::starts_with("displayName", &value))
                .first_page()
                .await
                .unwrap();
            prop_assert_eq!(starts.value.len(), 2, "both names start with {:?}", value);
            Ok(())
        })?;
    }
}
