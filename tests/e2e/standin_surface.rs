//! The stand-in answers the generated surfaces (`/deviceManagement`, and
//! `/deviceAppManagement` with `/groups`) as Graph
//! does, from the metadata: query options on the properties of each
//! collection's type, bound actions and functions with their parameters and
//! return types, `assign` and the list that shows what it stored,
//! singletons, and items planted as they are. Plain HTTP, so the answers
//! are asserted exactly as they come off the wire.

use graph_endpoint_emulator::Emulator;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

const DEVICES: &str = "deviceManagement/managedDevices";

struct Stand {
    emulator: Emulator,
    http: reqwest::Client,
}

/// An answer: status, `content-type`, body (JSON when it parses, else text).
struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

fn encode(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
}

impl Stand {
    async fn start() -> Stand {
        let emulator = Emulator::builder()
            .page_size(100)
            .start()
            .await
            .expect("the stand-in starts");
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("a loopback client builds");
        Stand { emulator, http }
    }

    /// Sends `method` to `/beta/{path}` (`path` may carry a query) and checks
    /// that exactly that request arrived.
    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}/beta/{path}", self.emulator.base_url())
        };
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(self.emulator.token());
        if let Some(body) = &body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("the stand-in answers");
        let arrived = self.emulator.requests().pop().expect("a request arrived");
        assert_eq!(arrived.method, method.as_str());
        assert_eq!(
            url.split('?').next().unwrap(),
            format!(
                "{}{}",
                self.emulator.base_url(),
                arrived.path.split('?').next().unwrap()
            )
        );
        assert_eq!(arrived.json(), body);
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            content_type,
            body,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None).await
    }

    /// The ids of a list's items, in order.
    async fn ids(&self, collection: &str, query: &[(&str, &str)]) -> Vec<String> {
        let answer = self.get(&with_query(collection, query)).await;
        assert_eq!(answer.status, 200, "{query:?}: {}", answer.body);
        answer.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_owned())
            .collect()
    }

    fn plant_devices(&self) {
        let devices = [
            ("a", "Alpha", "compliant", "2024-01-01T00:00:00Z", true, 100),
            (
                "b",
                "Bravo",
                "noncompliant",
                "2024-02-01T00:00:00Z",
                false,
                9,
            ),
            (
                "c",
                "Charlie",
                "compliant",
                "2024-03-01T00:00:00+01:00",
                true,
                2048,
            ),
            (
                "d",
                "Delta",
                "inGracePeriod",
                "2024-04-01T00:00:00Z",
                false,
                512,
            ),
        ];
        for (id, name, state, enrolled, encrypted, storage) in devices {
            self.emulator
                .insert_entity(
                    DEVICES,
                    json!({
                        "@odata.type": "#microsoft.graph.managedDevice",
                        "id": id,
                        "deviceName": name,
                        "complianceState": state,
                        "enrolledDateTime": enrolled,
                        "isEncrypted": encrypted,
                        "totalStorageSpaceInBytes": storage,
                    }),
                )
                .expect("managed devices are served");
        }
    }
}

fn with_query(path: &str, query: &[(&str, &str)]) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    let pairs: Vec<String> = query
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// Graph's error shape: the code and message, and the request ids.
fn assert_graph_error(answer: &Answer, status: u16, code: &str, message_part: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    let error = &answer.body["error"];
    assert_eq!(error["code"], json!(code), "{}", answer.body);
    let message = error["message"].as_str().unwrap();
    assert!(message.contains(message_part), "{message}");
    assert!(error["innerError"]["request-id"].is_string());
    assert!(error["innerError"]["date"].is_string());
}

#[tokio::test]
async fn filters_compare_every_kind_of_property_with_every_operator() {
    let stand = Stand::start().await;
    stand.plant_devices();
    let cases: &[(&str, &[&str])] = &[
        // Enums (what the stand-in refused before), strings, booleans,
        // Int64, dates compared as instants (c is 23:00 UTC the day before).
        ("complianceState eq 'compliant'", &["a", "c"]),
        (
            "complianceState eq microsoft.graph.complianceState'compliant'",
            &["a", "c"],
        ),
        ("complianceState ne 'compliant'", &["b", "d"]),
        (
            "complianceState in ('noncompliant', 'inGracePeriod')",
            &["b", "d"],
        ),
        ("deviceName in ('Alpha','Delta')", &["a", "d"]),
        ("isEncrypted eq false", &["b", "d"]),
        ("totalStorageSpaceInBytes gt 100", &["c", "d"]),
        ("totalStorageSpaceInBytes ge 100", &["a", "c", "d"]),
        ("totalStorageSpaceInBytes lt 100", &["b"]),
        ("totalStorageSpaceInBytes le 100", &["a", "b"]),
        ("enrolledDateTime lt 2024-02-29T23:00:00Z", &["a", "b"]),
        ("enrolledDateTime le 2024-02-29T23:00:00Z", &["a", "b", "c"]),
        ("enrolledDateTime gt 2024-02-29T23:00:00Z", &["d"]),
        ("enrolledDateTime ge 2024-02-01T00:00:00Z", &["b", "c", "d"]),
        ("startswith(deviceName,'Ch')", &["c"]),
        ("isEncrypted eq true and startswith(deviceName,'A')", &["a"]),
        (
            "not(complianceState eq 'compliant') or deviceName eq 'Alpha'",
            &["a", "b", "d"],
        ),
        (
            "not(isEncrypted eq true) and (totalStorageSpaceInBytes gt 10 or deviceName eq 'Bravo')",
            &["b", "d"],
        ),
        ("operatingSystem eq null", &["a", "b", "c", "d"]),
        ("deviceName ne null", &["a", "b", "c", "d"]),
    ];
    for (filter, expected) in cases {
        // No ConsistencyLevel: Intune's collections do not need it.
        let ids = stand.ids(DEVICES, &[("$filter", filter)]).await;
        assert_eq!(ids, *expected, "{filter}");
    }

    // Another collection, another type: device configurations by Int32 and text.
    for (name, version) in [("Wi-Fi", 1), ("VPN", 3), ("Wired", 5)] {
        stand.emulator.insert_entity(
            "deviceManagement/deviceConfigurations",
            json!({"id": name, "displayName": name, "version": version}),
        );
    }
    let configurations = "deviceManagement/deviceConfigurations";
    assert_eq!(
        stand
            .ids(
                configurations,
                &[("$filter", "version ge 3 and startswith(displayName,'W')")]
            )
            .await,
        ["Wired"]
    );
    assert_eq!(
        stand
            .ids(configurations, &[("$filter", "version in (1, 3)")])
            .await,
        ["Wi-Fi", "VPN"]
    );

    // And audit events by a date.
    let events = "deviceManagement/auditEvents";
    stand.emulator.insert_entity(
        events,
        json!({"id": "old", "activityDateTime": "2020-01-01T00:00:00Z"}),
    );
    stand.emulator.insert_entity(
        events,
        json!({"id": "new", "activityDateTime": "2025-01-01T00:00:00Z"}),
    );
    assert_eq!(
        stand
            .ids(
                events,
                &[("$filter", "activityDateTime gt 2024-01-01T00:00:00Z")]
            )
            .await,
        ["new"]
    );
}

#[tokio::test]
async fn filters_graph_would_refuse_are_refused_in_its_shape() {
    let stand = Stand::start().await;
    stand.plant_devices();
    let cases = [
        (
            "complianceState eq 'green'",
            "not a valid enumeration type constant",
        ),
        (
            "isEncrypted eq 'true'",
            "Found operand types 'Edm.Boolean' and 'Edm.String' for operator kind 'Equal'",
        ),
        (
            "totalStorageSpaceInBytes gt 'big'",
            "Found operand types 'Edm.Int64' and 'Edm.String' for operator kind 'GreaterThan'",
        ),
        (
            "enrolledDateTime lt '2024-01-01T00:00:00Z'",
            "Found operand types 'Edm.DateTimeOffset' and 'Edm.String' for operator kind 'LessThan'",
        ),
        (
            "secret eq 'x'",
            "Could not find a property named 'secret' on type 'microsoft.graph.managedDevice'",
        ),
        (
            "startswith(isEncrypted,'t')",
            "startswith takes a string property",
        ),
        ("deviceHealthAttestationState eq 'x'", "cannot be compared"),
        ("deviceName eq", "Invalid filter clause"),
    ];
    for (filter, message) in cases {
        let answer = stand
            .get(&with_query(DEVICES, &[("$filter", filter)]))
            .await;
        assert_graph_error(&answer, 400, "BadRequest", message);
    }
}

#[tokio::test]
async fn orderby_sorts_by_each_property_as_its_type_orders() {
    let stand = Stand::start().await;
    stand.plant_devices();
    let cases: &[(&str, &[&str])] = &[
        // Numbers as numbers (9 before 100, not after it as text).
        ("totalStorageSpaceInBytes", &["b", "a", "d", "c"]),
        ("totalStorageSpaceInBytes desc", &["c", "d", "a", "b"]),
        // Instants, not text: c (+01:00) is still after b.
        ("enrolledDateTime desc", &["d", "c", "b", "a"]),
        // Enums by their members' order (unknown, compliant, noncompliant, ..., inGracePeriod), then a second key.
        ("complianceState,deviceName desc", &["c", "a", "b", "d"]),
    ];
    for (order, expected) in cases {
        assert_eq!(
            stand.ids(DEVICES, &[("$orderby", order)]).await,
            *expected,
            "{order}"
        );
    }
    let answer = stand
        .get(&with_query(DEVICES, &[("$orderby", "tokenValue")]))
        .await;
    assert_graph_error(
        &answer,
        400,
        "BadRequest",
        "Could not find a property named 'tokenValue'",
    );
}

#[tokio::test]
async fn select_is_checked_against_the_addressed_type() {
    let stand = Stand::start().await;
    stand.plant_devices();
    let answer = stand
        .get(&with_query(
            DEVICES,
            &[("$select", "deviceName,complianceState"), ("$top", "1")],
        ))
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body["value"],
        json!([{
            "@odata.type": "#microsoft.graph.managedDevice",
            "id": "a",
            "deviceName": "Alpha",
            "complianceState": "compliant",
        }])
    );
    // One device: its own properties, not the enrollment profile's.
    let one = stand.get(&format!("{DEVICES}/c?$select=deviceName")).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(
        one.body,
        json!({
            "@odata.context": format!("{}/beta/$metadata#{DEVICES}/$entity", stand.emulator.base_url()),
            "@odata.type": "#microsoft.graph.managedDevice",
            "id": "c",
            "deviceName": "Charlie",
        })
    );
    let wrong = stand.get(&format!("{DEVICES}/c?$select=tokenValue")).await;
    assert_graph_error(
        &wrong,
        400,
        "BadRequest",
        "Could not find a property named 'tokenValue' on type 'microsoft.graph.managedDevice'.",
    );
    // A navigation property may be selected; a derived type's property may not.
    let navigation = stand.get(&format!("{DEVICES}/c?$select=users")).await;
    assert_eq!(navigation.status, 200);
    stand.emulator.insert_entity(
        "deviceManagement/deviceConfigurations",
        json!({"id": "w", "@odata.type": "#microsoft.graph.windows10GeneralConfiguration"}),
    );
    let derived = stand
        .get("deviceManagement/deviceConfigurations?$select=passwordRequired")
        .await;
    assert_graph_error(
        &derived,
        400,
        "BadRequest",
        "Could not find a property named 'passwordRequired' on type 'microsoft.graph.deviceConfiguration'.",
    );
}

#[tokio::test]
async fn count_top_and_skip_page_the_filtered_collection() {
    let stand = Stand::start().await;
    stand.plant_devices();
    let counted = stand
        .get(&with_query(
            DEVICES,
            &[
                ("$count", "true"),
                ("$filter", "complianceState eq 'compliant'"),
            ],
        ))
        .await;
    assert_eq!(counted.status, 200);
    assert_eq!(counted.body["@odata.count"], json!(2));
    assert_eq!(counted.body["value"].as_array().unwrap().len(), 2);

    let all = stand.get(&format!("{DEVICES}/$count")).await;
    assert_eq!((all.status, all.body.clone()), (200, json!(4)));
    assert!(
        all.content_type.starts_with("text/plain"),
        "{}",
        all.content_type
    );
    let some = stand
        .get(&with_query(
            &format!("{DEVICES}/$count"),
            &[("$filter", "isEncrypted eq true")],
        ))
        .await;
    assert_eq!(some.body, json!(2));

    let first = stand
        .get(&with_query(
            DEVICES,
            &[("$top", "3"), ("$orderby", "deviceName desc")],
        ))
        .await;
    let ids = |answer: &Answer| -> Vec<String> {
        answer.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&first), ["d", "c", "b"]);
    let next = first.body["@odata.nextLink"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = stand.get(&next).await;
    assert_eq!(ids(&second), ["a"]);
    assert!(second.body.get("@odata.nextLink").is_none());
    assert_eq!(
        stand.ids(DEVICES, &[("$skip", "1"), ("$top", "2")]).await,
        ["b", "c"]
    );
    assert!(stand.ids(DEVICES, &[("$skip", "4")]).await.is_empty());
}

#[tokio::test]
async fn actions_check_their_item_and_parameters() {
    let stand = Stand::start().await;
    stand.plant_devices();
    let sync = stand
        .send("POST", &format!("{DEVICES}/a/syncDevice"), None)
        .await;
    assert_eq!((sync.status, sync.body), (204, json!("")));
    let qualified = stand
        .send(
            "POST",
            &format!("{DEVICES}/a/microsoft.graph.syncDevice"),
            None,
        )
        .await;
    assert_eq!(qualified.status, 204);
    let unknown = stand
        .send("POST", &format!("{DEVICES}/nobody/syncDevice"), None)
        .await;
    assert_graph_error(&unknown, 404, "ResourceNotFound", "'nobody'");
    let wrong_method = stand.get(&format!("{DEVICES}/a/syncDevice")).await;
    assert_eq!(wrong_method.status, 405);

    // Every parameter of wipe is nullable: no body at all, or some of them.
    let wipe = stand.send("POST", &format!("{DEVICES}/b/wipe"), None).await;
    assert_eq!(wipe.status, 204);
    let wipe = stand
        .send(
            "POST",
            &format!("{DEVICES}/b/wipe"),
            Some(json!({"keepUserData": true})),
        )
        .await;
    assert_eq!(wipe.status, 204);
    let mistyped = stand
        .send(
            "POST",
            &format!("{DEVICES}/b/wipe"),
            Some(json!({"keepUserData": "yes"})),
        )
        .await;
    assert_graph_error(
        &mistyped,
        400,
        "BadRequest",
        "The parameter 'keepUserData' of the action 'wipe' is of type Edm.Boolean: found a string where Edm.Boolean was expected.",
    );
    let unknown_parameter = stand
        .send(
            "POST",
            &format!("{DEVICES}/b/wipe"),
            Some(json!({"keepEverything": true})),
        )
        .await;
    assert_graph_error(
        &unknown_parameter,
        400,
        "BadRequest",
        "'keepEverything' is not a parameter of the action 'wipe'",
    );

    // windowsDefenderScan's quickScan is not nullable.
    let scan = format!("{DEVICES}/c/windowsDefenderScan");
    let missing = stand.send("POST", &scan, None).await;
    assert_graph_error(
        &missing,
        400,
        "BadRequest",
        "The parameter 'quickScan' of the action 'windowsDefenderScan' is not nullable",
    );
    let null = stand
        .send("POST", &scan, Some(json!({"quickScan": null})))
        .await;
    assert_graph_error(&null, 400, "BadRequest", "'quickScan'");
    let scanned = stand
        .send("POST", &scan, Some(json!({"quickScan": true})))
        .await;
    assert_eq!(scanned.status, 204);
    // An enum parameter takes its members only.
    let state = "deviceManagement/deviceCompliancePolicies/setScheduledRetireState";
    let bad_member = stand
        .send("POST", state, Some(json!({"state": "someday"})))
        .await;
    assert_graph_error(
        &bad_member,
        400,
        "BadRequest",
        "microsoft.graph.scheduledRetireState",
    );
}

#[tokio::test]
async fn functions_answer_their_declared_return_type() {
    let stand = Stand::start().await;
    stand.plant_devices();
    let base = stand.emulator.base_url().to_owned();
    let key = stand.get(&format!("{DEVICES}/a/getFileVaultKey")).await;
    assert_eq!(key.status, 200);
    assert_eq!(
        key.body,
        json!({"@odata.context": format!("{base}/beta/$metadata#Edm.String"), "value": ""})
    );
    let unknown = stand.get(&format!("{DEVICES}/zzz/getFileVaultKey()")).await;
    assert_eq!(unknown.status, 404);

    // A collection of a type, with a non-nullable enum parameter in the segment or an alias.
    let statements = "deviceManagement/managementConditionStatements";
    let listed = stand
        .get(&format!(
            "{statements}/getManagementConditionStatementsForPlatform(platform='android')"
        ))
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        listed.body,
        json!({
            "@odata.context": format!("{base}/beta/$metadata#Collection(microsoft.graph.managementConditionStatement)"),
            "value": [],
        })
    );
    let aliased = stand
        .get(&format!(
            "{statements}/getManagementConditionStatementsForPlatform(platform=@p)?@p='iOS'"
        ))
        .await;
    assert_eq!(aliased.status, 200, "{}", aliased.body);
    let missing = stand
        .get(&format!(
            "{statements}/getManagementConditionStatementsForPlatform()"
        ))
        .await;
    assert_graph_error(
        &missing,
        400,
        "BadRequest",
        "'platform' of the function 'getManagementConditionStatementsForPlatform' is not nullable",
    );
    let wrong = stand
        .get(&format!(
            "{statements}/getManagementConditionStatementsForPlatform(platform=3)"
        ))
        .await;
    assert_graph_error(&wrong, 400, "BadRequest", "found a number");

    // A complex type: its @odata.type and its non-nullable properties.
    let limit = stand
        .get("deviceManagement/getSuggestedEnrollmentLimit(enrollmentType='Windows')")
        .await;
    assert_eq!(limit.status, 200, "{}", limit.body);
    assert_eq!(
        limit.body,
        json!({
            "@odata.context": format!("{base}/beta/$metadata#microsoft.graph.suggestedEnrollmentLimit"),
            "@odata.type": "#microsoft.graph.suggestedEnrollmentLimit",
            "suggestedDailyLimit": 0,
        })
    );
    let boolean = stand
        .get("deviceManagement/verifyWindowsEnrollmentAutoDiscovery(domainName='contoso.com')")
        .await;
    assert_eq!(boolean.body["value"], json!(false));
}

#[tokio::test]
async fn assign_stores_the_assignments_where_their_list_shows_them() {
    let stand = Stand::start().await;
    let policies = "deviceManagement/deviceCompliancePolicies";
    let created = stand
        .send("POST", policies, Some(json!({"@odata.type": "#microsoft.graph.windows10CompliancePolicy", "displayName": "Baseline"})))
        .await;
    assert_eq!(created.status, 201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let target = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g1"});
    let assigned = stand
        .send(
            "POST",
            &format!("{policies}/{id}/assign"),
            Some(json!({"assignments": [{"id": "first", "target": target}]})),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.body);
    let stored = json!([{
        "id": "first",
        "target": target,
        "@odata.type": "#microsoft.graph.deviceCompliancePolicyAssignment",
    }]);
    assert_eq!(
        assigned.body,
        json!({
            "@odata.context": format!("{}/beta/$metadata#Collection(microsoft.graph.deviceCompliancePolicyAssignment)", stand.emulator.base_url()),
            "value": stored,
        })
    );
    let listed = stand.get(&format!("{policies}/{id}/assignments")).await;
    assert_eq!(listed.body["value"], stored);
    // A second assign replaces the first.
    stand
        .send(
            "POST",
            &format!("{policies}/{id}/assign"),
            Some(json!({"assignments": []})),
        )
        .await;
    let listed = stand.get(&format!("{policies}/{id}/assignments")).await;
    assert_eq!(listed.body["value"], json!([]));

    // Two lists from one action: device configurations' assignments and group assignments.
    let configurations = "deviceManagement/deviceConfigurations";
    stand
        .emulator
        .insert_entity(configurations, json!({"id": "cfg"}));
    let both = stand
        .send(
            "POST",
            &format!("{configurations}/cfg/assign"),
            Some(json!({
                "assignments": [{"id": "x", "target": target}],
                "deviceConfigurationGroupAssignments": [{"id": "y", "targetGroupId": "g2"}],
            })),
        )
        .await;
    assert_eq!(both.status, 200, "{}", both.body);
    assert_eq!(both.body["value"][0]["id"], json!("x"));
    let groups = stand
        .get(&format!("{configurations}/cfg/groupAssignments"))
        .await;
    assert_eq!(groups.body["value"][0]["targetGroupId"], json!("g2"));
    let assignments = stand
        .get(&format!("{configurations}/cfg/assignments"))
        .await;
    assert_eq!(assignments.body["value"][0]["id"], json!("x"));
    let nowhere = stand
        .send(
            "POST",
            &format!("{configurations}/none/assign"),
            Some(json!({"assignments": []})),
        )
        .await;
    assert_eq!(nowhere.status, 404);
    let mistyped = stand
        .send(
            "POST",
            &format!("{configurations}/cfg/assign"),
            Some(json!({"assignments": {}})),
        )
        .await;
    assert_graph_error(&mistyped, 400, "BadRequest", "'assignments'");
}

#[tokio::test]
async fn singletons_answer_get_and_patch() {
    let stand = Stand::start().await;
    let base = stand.emulator.base_url().to_owned();
    let first = stand.get("deviceManagement").await;
    assert_eq!(first.status, 200);
    assert_eq!(
        first.body["@odata.context"],
        json!(format!("{base}/beta/$metadata#deviceManagement"))
    );
    assert_eq!(
        first.body["@odata.type"],
        json!("#microsoft.graph.deviceManagement")
    );
    let id = first.body["id"].clone();
    assert!(id.is_string());
    let patched = stand
        .send(
            "PATCH",
            "deviceManagement",
            Some(json!({"subscriptionState": "active", "id": "mine"})),
        )
        .await;
    // Documented as 200 with the entity; the id stays the service's.
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["subscriptionState"], json!("active"));
    assert_eq!(patched.body["id"], id);
    let selected = stand
        .get("deviceManagement?$select=subscriptionState")
        .await;
    assert_eq!(
        selected.body,
        json!({
            "@odata.context": format!("{base}/beta/$metadata#deviceManagement"),
            "@odata.type": "#microsoft.graph.deviceManagement",
            "id": id,
            "subscriptionState": "active",
        })
    );
    let wrong = stand.get("deviceManagement?$select=deviceName").await;
    assert_graph_error(
        &wrong,
        400,
        "BadRequest",
        "on type 'microsoft.graph.deviceManagement'",
    );
    let deleted = stand.send("DELETE", "deviceManagement", None).await;
    assert_eq!(deleted.status, 405);
    // A singleton under an item: 404 when the item does not exist.
    let missing = stand
        .get("deviceManagement/depOnboardingSettings/nobody/defaultIosEnrollmentProfile")
        .await;
    assert_graph_error(&missing, 404, "ResourceNotFound", "'nobody'");
}

#[tokio::test]
async fn planted_items_are_kept_exactly_as_given() {
    let stand = Stand::start().await;
    stand.plant_devices();
    let malformed = json!({
        "@odata.type": "#microsoft.graph.managedDevice",
        "id": "m",
        "complianceState": 5,
        "enrolledDateTime": "yesterday",
        "totalStorageSpaceInBytes": {"a": 1},
    });
    assert_eq!(
        stand.emulator.insert_entity(DEVICES, malformed.clone()),
        Some(malformed.clone())
    );
    assert_eq!(
        stand
            .emulator
            .insert_entity(DEVICES, json!("not an object")),
        Some(json!("not an object"))
    );
    assert_eq!(
        stand.emulator.insert_entity(DEVICES, json!({"id": 7})),
        Some(json!({"id": 7, "@odata.type": "#microsoft.graph.managedDevice"}))
    );
    let listed = stand.get(DEVICES).await;
    let items = listed.body["value"].as_array().unwrap();
    assert_eq!(items.len(), 7);
    assert_eq!(items[4], malformed);
    assert_eq!(items[5], json!("not an object"));
    let one = stand.get(&format!("{DEVICES}/m")).await;
    assert_eq!(one.body["complianceState"], json!(5));
    assert_eq!(
        stand.get(&format!("{DEVICES}/7")).await.body["id"],
        json!(7)
    );
    // A filter passes over what it cannot compare, without failing.
    assert_eq!(
        stand
            .ids(
                DEVICES,
                &[(
                    "$filter",
                    "complianceState eq 'compliant' or enrolledDateTime gt 2000-01-01T00:00:00Z"
                )]
            )
            .await,
        ["a", "b", "c", "d"]
    );
    assert_eq!(
        stand
            .emulator
            .insert_entity("deviceManagement/nothing", json!({})),
        None
    );
}

/// The surface tables the stand-in serves, as the generator wrote them.
const SURFACE: &str = include_str!("../../graph-endpoint-emulator/src/graph/surface.json");
const APPS_SURFACE: &str =
    include_str!("../../graph-endpoint-emulator/src/graph/surface-apps.json");

/// One bound operation of the table: its path (`{}` for a key), name,
/// whether it is an action, its `(name, type, nullable)` parameters and its
/// return type.
struct Declared {
    path: String,
    name: String,
    is_action: bool,
    parameters: Vec<(String, String, bool)>,
    returns: Option<String>,
}

fn declared_operations(table: &str) -> (Vec<Declared>, Vec<String>) {
    let table: Value = serde_json::from_str(table).expect("the surface table is JSON");
    let operations = table["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| Declared {
            path: row[0].as_str().unwrap().to_owned(),
            name: row[1].as_str().unwrap().to_owned(),
            is_action: row[2].as_bool().unwrap(),
            parameters: row[4]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_owned(),
                        p[1].as_str().unwrap().to_owned(),
                        p[2].as_bool().unwrap(),
                    )
                })
                .collect(),
            returns: row[5].as_str().map(str::to_owned),
        })
        .collect();
    let enums = table["enums"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[0].as_str().unwrap().to_owned())
        .collect();
    (operations, enums)
}

#[tokio::test]
async fn every_declared_operation_answers_as_declared() {
    let (bound_to_items, refused, answered) = sweep(SURFACE).await;
    // The sweep reached each kind of answer.
    assert!(bound_to_items > 300, "{bound_to_items}");
    assert!(refused > 50, "{refused}");
    assert!(answered > 200, "{answered}");
}

#[tokio::test]
async fn every_declared_operation_of_the_apps_surface_answers_as_declared() {
    let (bound_to_items, refused, answered) = sweep(APPS_SURFACE).await;
    // 39 operations: 19 bound to an item, 4 with a non-nullable parameter.
    assert!(bound_to_items >= 19, "{bound_to_items}");
    assert!(refused >= 4, "{refused}");
    assert!(answered >= 35, "{answered}");
}

/// Calls every operation of a table on a fresh stand-in, as described in
/// [`every_declared_operation_answers_as_declared`]: how many were bound to
/// an item, refused for a missing parameter and answered.
async fn sweep(table: &str) -> (usize, usize, usize) {
    let stand = Stand::start().await;
    let (operations, enums) = declared_operations(table);
    let (mut bound_to_items, mut refused, mut answered) = (0, 0, 0);
    // The seed's resource answers its own operations (its tests are
    // `collections` and `operations`).
    let seed = "deviceManagement/androidForWorkEnrollmentProfiles/";
    for operation in operations.iter().filter(|o| !o.path.starts_with(seed)) {
        let method = if operation.is_action { "POST" } else { "GET" };
        let call = |keys: &str| {
            let path = operation.path.replace("{}", keys);
            if operation.is_action {
                path
            } else {
                format!("{path}()")
            }
        };
        let label = format!("{method} {}", operation.path);

        // Bound to an item that does not exist: 404 in Graph's shape.
        if operation.path.contains("{}") {
            bound_to_items += 1;
            let missing = stand.send(method, &call("nobody"), None).await;
            assert_eq!(missing.status, 404, "{label}: {}", missing.body);
            assert_graph_error(&missing, 404, "ResourceNotFound", "'nobody'");
            // Plant the items the path passes through.
            let segments: Vec<&str> = operation.path.split('/').collect();
            for (at, segment) in segments.iter().enumerate() {
                if *segment == "{}" {
                    let collection = segments[..at].join("/").replace("{}", "x");
                    assert!(
                        stand
                            .emulator
                            .insert_entity(&collection, json!({"id": "x"}))
                            .is_some(),
                        "{label}: {collection} is served"
                    );
                }
            }
        }

        // No arguments: refused for a non-nullable parameter, else the declared answer.
        let answer = stand.send(method, &call("x"), None).await;
        let required = operation
            .parameters
            .iter()
            .find(|(_, _, nullable)| !nullable);
        if let Some((parameter, ty, _)) = required {
            refused += 1;
            let kind = if operation.is_action {
                "action"
            } else {
                "function"
            };
            assert_graph_error(
                &answer,
                400,
                "BadRequest",
                &format!(
                    "The parameter '{parameter}' of the {kind} '{}' is not nullable: it needs a value of type {ty}.",
                    operation.name
                ),
            );
            continue;
        }
        answered += 1;
        match &operation.returns {
            None => {
                assert_eq!(answer.status, 204, "{label}: {}", answer.body);
                assert_eq!(answer.body, json!(""), "{label}");
            }
            Some(returns) if returns == "Edm.Stream" => {
                // A stream: its bytes, not a JSON value.
                assert_eq!(answer.status, 200, "{label}: {}", answer.body);
                assert_ne!(answer.body, json!(""), "{label}");
            }
            Some(returns) => {
                assert_eq!(answer.status, 200, "{label}: {}", answer.body);
                let context = answer.body["@odata.context"].as_str().unwrap_or_default();
                assert!(
                    context.ends_with(&format!("/beta/$metadata#{returns}")),
                    "{label}: {context}"
                );
                if returns.starts_with("Collection(") {
                    assert!(answer.body["value"].is_array(), "{label}: {}", answer.body);
                } else if enums.contains(returns) {
                    assert!(answer.body["value"].is_string(), "{label}: {}", answer.body);
                } else if returns.starts_with("Edm.") {
                    assert!(
                        answer.body.get("value").is_some(),
                        "{label}: {}",
                        answer.body
                    );
                } else {
                    assert_eq!(
                        answer.body["@odata.type"],
                        json!(format!("#{returns}")),
                        "{label}"
                    );
                }
            }
        }
    }
    (bound_to_items, refused, answered)
}

#[tokio::test]
async fn the_apps_surface_is_queried_and_assigned_like_the_rest() {
    let stand = Stand::start().await;
    let apps = "deviceAppManagement/mobileApps";
    // Apps created as an administrator would, stamped by the stand-in.
    let mut ids = Vec::new();
    for (kind, name, publisher, featured) in [
        ("win32LobApp", "Contoso Agent", "Contoso", true),
        ("iosStoreApp", "Fabrikam Mail", "Fabrikam", false),
        ("win32LobApp", "Contoso VPN", "Contoso", false),
    ] {
        let created = stand
            .send(
                "POST",
                apps,
                Some(json!({
                    "@odata.type": format!("#microsoft.graph.{kind}"),
                    "displayName": name,
                    "publisher": publisher,
                    "isFeatured": featured,
                })),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert!(created.body["createdDateTime"].is_string());
        ids.push(created.body["id"].as_str().unwrap().to_owned());
    }
    let [agent, mail, vpn] = [&ids[0], &ids[1], &ids[2]].map(String::clone);

    // Queries on the properties of microsoft.graph.mobileApp.
    let filtered = stand
        .ids(
            apps,
            &[
                (
                    "$filter",
                    "publisher eq 'Contoso' and not (isFeatured eq true)",
                ),
                ("$select", "id,displayName"),
            ],
        )
        .await;
    assert_eq!(filtered, [vpn.as_str()]);
    let sorted = stand
        .ids(apps, &[("$orderby", "displayName desc"), ("$top", "2")])
        .await;
    assert_eq!(sorted, [mail.as_str(), vpn.as_str()]);
    let started = stand
        .ids(apps, &[("$filter", "startswith(displayName,'Contoso')")])
        .await;
    assert_eq!(started, [agent.as_str(), vpn.as_str()]);
    let unknown = stand
        .get(&with_query(apps, &[("$filter", "colour eq 'red'")]))
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);

    // assign stores what its assignments list shows; an unknown app is 404.
    let target = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g1"});
    let assigned = stand
        .send(
            "POST",
            &format!("{apps}/{agent}/assign"),
            Some(json!({"mobileAppAssignments": [{"id": "a1", "intent": "required", "target": target}]})),
        )
        .await;
    assert_eq!(assigned.status, 204, "{}", assigned.body);
    let listed = stand.get(&format!("{apps}/{agent}/assignments")).await;
    assert_eq!(listed.body["value"][0]["intent"], json!("required"));
    assert_eq!(listed.body["value"][0]["target"], target);
    let missing = stand
        .send(
            "POST",
            &format!("{apps}/nobody/assign"),
            Some(json!({"mobileAppAssignments": []})),
        )
        .await;
    assert_graph_error(&missing, 404, "ResourceNotFound", "'nobody'");

    // Functions of the collection, and /groups with its queries.
    let count = stand
        .get(&format!("{apps}/getTopMobileApps(status='installed')"))
        .await;
    assert_graph_error(&count, 400, "BadRequest", "'count'");
    for (id, name) in [("g1", "Pilot devices"), ("g2", "All staff")] {
        stand
            .emulator
            .insert_entity("groups", json!({"id": id, "displayName": name}))
            .expect("groups are served");
    }
    let groups = stand
        .ids("groups", &[("$filter", "startswith(displayName,'Pilot')")])
        .await;
    assert_eq!(groups, ["g1"]);
    // The app deleted is gone from the list.
    let deleted = stand.send("DELETE", &format!("{apps}/{mail}"), None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(stand.ids(apps, &[]).await, [agent, vpn]);
}
