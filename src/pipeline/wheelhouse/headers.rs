//! A C header missing while pip builds an sdist, and the Debian package that provides it.

/// Common headers and their Debian -dev packages.
const PACKAGES: &[(&str, &str)] = &[
    ("Python.h", "python3-dev"),
    ("ffi.h", "libffi-dev"),
    ("yaml.h", "libyaml-dev"),
    ("openssl/ssl.h", "libssl-dev"),
    ("ssl.h", "libssl-dev"),
    ("openssl/opensslv.h", "libssl-dev"),
    ("zlib.h", "zlib1g-dev"),
    ("libpq-fe.h", "libpq-dev"),
    ("pg_config.h", "libpq-dev"),
    ("mysql.h", "default-libmysqlclient-dev"),
    ("mysql/mysql.h", "default-libmysqlclient-dev"),
    ("libxml/xmlversion.h", "libxml2-dev"),
    ("libxml/parser.h", "libxml2-dev"),
    ("libxslt/xslt.h", "libxslt1-dev"),
    ("jpeglib.h", "libjpeg-dev"),
    ("png.h", "libpng-dev"),
    ("bzlib.h", "libbz2-dev"),
    ("lzma.h", "liblzma-dev"),
    ("sqlite3.h", "libsqlite3-dev"),
    ("krb5.h", "libkrb5-dev"),
    ("gssapi/gssapi.h", "libkrb5-dev"),
    ("ldap.h", "libldap2-dev"),
    ("sasl/sasl.h", "libsasl2-dev"),
    ("readline/readline.h", "libreadline-dev"),
    ("ncurses.h", "libncurses-dev"),
    ("curl/curl.h", "libcurl4-openssl-dev"),
    ("gmp.h", "libgmp-dev"),
    ("hdf5.h", "libhdf5-dev"),
    ("cairo.h", "libcairo2-dev"),
    ("freetype/freetype.h", "libfreetype-dev"),
    ("ft2build.h", "libfreetype-dev"),
    ("uuid/uuid.h", "uuid-dev"),
    ("systemd/sd-daemon.h", "libsystemd-dev"),
    ("dbus/dbus.h", "libdbus-1-dev"),
    ("snappy.h", "libsnappy-dev"),
    ("zstd.h", "libzstd-dev"),
    ("lz4.h", "liblz4-dev"),
];

/// The header a compiler could not find, from its output: gcc and clang write
/// `fatal error: yaml.h: No such file or directory` / `fatal error: 'yaml.h' file not found`.
pub fn missing_header(output: &str) -> Option<String> {
    for line in output.lines() {
        let Some((_, rest)) = line.split_once("fatal error: ") else { continue };
        if let Some(header) = rest.strip_suffix(": No such file or directory") {
            return Some(header.trim().trim_matches(['\'', '"']).to_owned());
        }
        if let Some(header) = rest.strip_suffix(" file not found") {
            return Some(header.trim().trim_matches(['\'', '"']).to_owned());
        }
    }
    None
}

/// The Debian package that provides a header, for the common ones.
pub fn debian_package(header: &str) -> Option<&'static str> {
    let exact = PACKAGES.iter().find(|(h, _)| *h == header);
    // `include <python3.11/Python.h>` and the like: match on the last part too.
    let last = header.rsplit('/').next().unwrap_or(header);
    exact.or_else(|| PACKAGES.iter().find(|(h, _)| *h == last)).map(|(_, package)| *package)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_map_to_debian_packages() {
        let table = [
            ("Python.h", Some("python3-dev")),
            ("ffi.h", Some("libffi-dev")),
            ("yaml.h", Some("libyaml-dev")),
            ("openssl/ssl.h", Some("libssl-dev")),
            ("zlib.h", Some("zlib1g-dev")),
            ("libpq-fe.h", Some("libpq-dev")),
            ("python3.11/Python.h", Some("python3-dev")),
            ("frobnicate.h", None),
        ];
        for (header, package) in table {
            assert_eq!(debian_package(header), package, "{header}");
        }
    }

    #[test]
    fn the_missing_header_is_read_from_gcc_and_clang() {
        let gcc = "ext/_yaml.c:1234:10: fatal error: yaml.h: No such file or directory\n compilation terminated.";
        assert_eq!(missing_header(gcc).as_deref(), Some("yaml.h"));
        let clang = "psycopg/psycopg.h:36:10: fatal error: 'libpq-fe.h' file not found";
        assert_eq!(missing_header(clang).as_deref(), Some("libpq-fe.h"));
        assert_eq!(missing_header("error: command 'gcc' failed"), None);
    }
}
