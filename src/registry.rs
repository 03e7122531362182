//! The code tables of every capability, so `diag` can look codes up without depending on them.

use crate::diag::Code;

pub const CODE_TABLES: &[&[Code]] = &[
    crate::config_paths::CODES,
    crate::spec::CODES,
    crate::links::CODES,
    crate::critical_tests::CODES,
    crate::hooks::CODES,
    crate::scan::CODES,
    crate::scan::emoji::CODES,
    crate::scan::secrets::CODES,
    crate::artifact::CODES,
    crate::feature::CODES,
    crate::publish::CODES,
];
