//! The code tables of every capability, so `diag` can look codes up without depending on them.

use crate::shared::diag::Code;

pub const CODE_TABLES: &[&[Code]] = &[
    crate::gate::config_paths::CODES,
    crate::gate::spec::CODES,
    crate::gate::links::CODES,
    crate::gate::critical_tests::CODES,
    crate::gate::hooks::CODES,
    crate::gate::scan::CODES,
    crate::gate::scan::emoji::CODES,
    crate::gate::scan::secrets::CODES,
    crate::gate::ledger::CODES,
    crate::gate::feature::CODES,
    crate::pipeline::publish::CODES,
];
