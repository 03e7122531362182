const GRIN: &str = "\u{1F600}";
let keycap = "1\u{20E3}";
