//! The configuration loader: any UTF-8 text as specgate.toml. It must be a `Config` or an error
//! naming the file; a `Config` must build a secret scanner that runs.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use specgate::shared::config::Config;
use specgate::gate::scan::secrets::{scan_file, Scanner};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::parse(text, Path::new("specgate.toml")) {
        Ok(config) => {
            let scanner = Scanner::new(&config.secrets);
            let findings = scan_file(&scanner, "x.env", data, None);
            assert!(findings.len() <= data.len());
        }
        Err(error) => {
            let message = error.to_string();
            assert!(message.contains("specgate.toml"), "{message}");
            assert!(message.len() <= text.len() + 1024);
            assert!(error.hint().is_some());
        }
    }
});
