//! Makes one call of a declared endpoint (`revoke_token`) with a client
//! configured as an application would configure one, and prints the outcome:
//! `ok`, or the error. Tests run it as a process of its own, with an
//! environment of its own (such as `HTTPS_PROXY`), which a test cannot set
//! in its own process.
//!
//! ```text
//! graph-call BASE_URL TOKEN PROFILE_ID
//! ```

use graph_endpoint::GraphClient;
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base_url, token, profile] = args.as_slice() else {
        eprintln!("usage: graph-call BASE_URL TOKEN PROFILE_ID");
        return std::process::ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("no runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        let graph = GraphClient::builder()
            .base_url(base_url)
            .token(token.as_str())
            .no_retry()
            .build()?;
        graph.revoke_token(profile).await
    });
    match outcome {
        Ok(()) => {
            println!("ok");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
