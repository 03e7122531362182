//! The emoji scanner: any bytes, default and strict. At most one finding per two bytes, each
//! on the line its offset is on, in order; strict mode finds everything default mode finds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use specgate::gate::scan::emoji::{self, Kind};

fuzz_target!(|data: &[u8]| {
    let found = emoji::find(data, false);
    let strict = emoji::find(data, true);
    assert!(strict.len() <= data.len() / 2);
    for pair in strict.windows(2) {
        assert!((pair[0].line, pair[0].column) < (pair[1].line, pair[1].column), "{pair:?}");
        assert!(pair[0].offset <= pair[1].offset);
    }
    for f in &strict {
        assert!(f.offset < data.len() && f.column >= 1 && !f.code_points.is_empty());
        let line = data[..f.offset].iter().filter(|b| **b == b'\n').count() + 1;
        assert_eq!(f.line as usize, line, "{f:?}");
    }
    for f in &found {
        assert!(f.kind != Kind::TextSymbol);
        assert!(strict.iter().any(|s| (s.line, s.column, &s.code_points) == (f.line, f.column, &f.code_points)));
    }
});
