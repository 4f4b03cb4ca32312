//! Walks the whole androidForWorkEnrollmentProfile resource against the local
//! Graph stand-in: create, list page by page, filter, update, the token
//! lifecycle, a JSON batch, and delete.
//!
//! ```text
//! cargo run --example enrollment_profiles
//! ```

use std::error::Error as StdError;

use graph_endpoint::{Filter, GraphClient};
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_device_management::prelude::*;
use graph_endpoint_emulator::Emulator;
use time::format_description::well_known::Rfc3339;

#[tokio::main]
async fn main() -> Result<(), Box<dyn StdError>> {
    // Twelve profiles exist already; pages hold five.
    let emulator = Emulator::builder()
        .profiles(12)
        .page_size(5)
        .start()
        .await?;
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .build()?;
    println!("Local Graph stand-in on {}", emulator.base_url());

    println!("\nCreate");
    let created = graph
        .create_profile(
            AndroidForWorkEnrollmentProfile::named("Field scanners")
                .set_description("Rugged devices for the field team"),
        )
        .await?;
    let id = created
        .id()
        .map(str::to_owned)
        .ok_or("no id in the created profile")?;
    println!(
        "  created {id} ({})",
        created.display_name().unwrap_or_default()
    );

    println!("\nList, five a page");
    let mut pages = graph.profiles().top(5).pages();
    let (mut total, mut count) = (0, 0);
    while let Some(page) = pages.try_next().await? {
        count += 1;
        total += page.value.len();
        println!("  page {count}: {} profiles", page.value.len());
    }
    println!("  {total} profiles in {count} pages");

    println!("\nFilter");
    let field = graph
        .profiles()
        .filter(Filter::starts_with("displayName", "Field"))
        .select(["displayName"])
        .first_page()
        .await?;
    for profile in &field.value {
        println!("  matches: {}", profile.display_name().unwrap_or_default());
    }

    println!("\nUpdate");
    let updated = graph
        .update_profile(
            &id,
            AndroidForWorkEnrollmentProfile::from_object(Default::default())
                .set_description("Rugged devices, second batch"),
        )
        .await?;
    println!(
        "  description is now: {}",
        updated.description().unwrap_or_default()
    );

    println!("\nToken lifecycle");
    graph.create_token(&id, 7 * 24 * 3600).await?;
    let with_token = graph.get_profile(&id).await?;
    println!(
        "  token created, expires {}",
        with_token
            .token_expiration_date_time()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_default()
    );
    graph.revoke_token(&id).await?;
    let without = graph.get_profile(&id).await?;
    println!("  token revoked: has token = {}", without.has_token());

    println!("\nBatch: a token for every seeded profile");
    let batch = graph.batch();
    let mut seeded = graph
        .profiles()
        .filter(Filter::starts_with("displayName", "Seeded"))
        .items();
    let mut calls = Vec::new();
    while let Some(profile) = seeded.try_next().await? {
        let seeded_id = profile
            .id()
            .map(str::to_owned)
            .ok_or("a profile without an id")?;
        calls.push(batch.add(graph.create_token(&seeded_id, 3600)));
    }
    let report = batch.send().await;
    let mut created_tokens = 0;
    for call in calls {
        call.await?;
        created_tokens += 1;
    }
    println!(
        "  {created_tokens} tokens created with {} batch request(s)",
        report.requests
    );

    println!("\nDelete");
    graph.delete_profile(&id).await?;
    match graph.get_profile(&id).await {
        Err(e) if e.is_not_found() => println!(
            "  deleted: reading it again answers 404 {}",
            e.graph_code().unwrap_or_default()
        ),
        other => return Err(format!("expected 404 after delete, got {other:?}").into()),
    }
    println!("\n{} requests sent", emulator.request_count());
    Ok(())
}
