//! Walks the whole androidForWorkEnrollmentProfile resource against the local
//! Graph stand-in: create, list with paging, update, the token lifecycle, and
//! delete.
//!
//! ```text
//! cargo run --example enrollment_profiles
//! ```

use std::error::Error as StdError;

use graph_endpoint::GraphClient;
use graph_endpoint::models::{AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles};
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
        .create_profile(&AndroidForWorkEnrollmentProfile {
            display_name: Some("Field scanners".into()),
            description: Some("Rugged devices for the field team".into()),
            ..Default::default()
        })
        .await?;
    let id = created.id.clone().ok_or("no id in the created profile")?;
    println!(
        "  created {id} ({})",
        created.display_name.as_deref().unwrap_or_default()
    );

    println!("\nList, five a page");
    let mut page = graph.list_profiles(Some(5)).await?;
    let mut total = 0;
    let mut pages = 1;
    loop {
        total += page.value.len();
        println!("  page {pages}: {} profiles", page.value.len());
        match page.next_link.as_deref() {
            Some(next) => page = graph.next_page(next).await?,
            None => break,
        }
        pages += 1;
    }
    println!("  {total} profiles in {pages} pages");

    println!("\nUpdate");
    let updated = graph
        .update_profile(
            &id,
            &AndroidForWorkEnrollmentProfile {
                description: Some("Rugged devices, second batch".into()),
                ..Default::default()
            },
        )
        .await?;
    println!(
        "  description is now: {}",
        updated.description.as_deref().unwrap_or_default()
    );

    println!("\nToken lifecycle");
    graph.create_token(&id, 7 * 24 * 3600).await?;
    let with_token = graph.get_profile(&id).await?;
    println!(
        "  token created, expires {}",
        with_token
            .token_expiration_date_time
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_default()
    );
    graph.revoke_token(&id).await?;
    let without = graph.get_profile(&id).await?;
    println!("  token revoked: has token = {}", without.has_token());

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
