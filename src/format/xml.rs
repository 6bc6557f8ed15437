//! The XML data resource: UTF-16LE text with a byte-order mark describing
//! each image (name, edition, counts, sizes, times). It has no checksum.

/// Largest XML resource accepted. Real ones are tens of kilobytes per image.
pub const MAX_XML_SIZE: u64 = 32 * 1024 * 1024;
/// Most XML nodes (elements, text, attributes' owners) parsed: about 100
/// per image, so room for some 10,000 images. Bounds the parser's memory
/// for a forged XML of millions of tiny elements (each node costs tens of
/// bytes, far more than its text).
pub const MAX_XML_NODES: u32 = 1 << 20;
/// Most images described (wimlib's own limit on image count).
pub const MAX_IMAGES: u32 = 65535;

/// What one `<IMAGE>` element says. `None` is an absent element; an empty
/// one is `Some("")`. Fields after `wimboot` were added to schema 1 later
/// (absent from older reports).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct XmlImage {
    pub index: u32,
    pub name: Option<String>,
    pub description: Option<String>,
    pub display_name: Option<String>,
    pub flags: Option<String>,
    pub edition: Option<String>,
    pub product_name: Option<String>,
    pub installation_type: Option<String>,
    /// Architecture as a name (x86, arm, amd64, arm64) or the raw number.
    pub architecture: Option<String>,
    /// `WINDOWS/LANGUAGES/LANGUAGE`, in document order.
    pub languages: Vec<String>,
    /// `MAJOR.MINOR.BUILD.SPBUILD` from `WINDOWS/VERSION` (`?` for a part
    /// that is absent or not a number), as `dism /Get-WimInfo` shows it.
    pub version: Option<String>,
    pub dir_count: Option<u64>,
    pub file_count: Option<u64>,
    pub total_bytes: Option<u64>,
    pub hard_link_bytes: Option<u64>,
    /// ISO 8601 UTC, from the FILETIME in HIGHPART/LOWPART.
    pub creation_time: Option<String>,
    pub last_modification_time: Option<String>,
    pub wimboot: Option<bool>,
    pub display_description: Option<String>,
    /// `WINDOWS/LANGUAGES/DEFAULT`.
    pub default_language: Option<String>,
    /// `WINDOWS/VERSION/SPLEVEL`.
    pub sp_level: Option<u64>,
    /// `WINDOWS/HAL`, `PRODUCTTYPE` (WinNT, ServerNT), `PRODUCTSUITE` and
    /// `SYSTEMROOT` (the Windows directory's name, `WINDOWS`).
    pub hal: Option<String>,
    pub product_type: Option<String>,
    pub product_suite: Option<String>,
    pub system_root: Option<String>,
}

impl XmlImage {
    /// True when the XML says this is a Windows PE image.
    pub fn is_winpe(&self) -> bool {
        let hit = |s: &Option<String>| {
            s.as_deref().is_some_and(|v| {
                v.to_ascii_lowercase().contains("winpe")
                    || v.to_ascii_lowercase().contains("windows pe")
            })
        };
        hit(&self.edition) || hit(&self.flags) || hit(&self.name) || hit(&self.installation_type)
    }
}

/// The decoded document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XmlInfo {
    pub total_bytes: Option<u64>,
    pub images: Vec<XmlImage>,
    pub encrypted_esd: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XmlError {
    NoBom,
    OddLength,
    BadUtf16,
    Parse(String),
    RootNotWim(String),
    TooManyImages,
    TooManyNodes,
}

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            XmlError::NoBom => {
                f.write_str("does not start with the UTF-16LE byte-order mark FF FE")
            }
            XmlError::OddLength => f.write_str("has an odd number of bytes, so it is not UTF-16"),
            XmlError::BadUtf16 => f.write_str("is not valid UTF-16LE"),
            XmlError::Parse(e) => write!(f, "is not well-formed XML: {e}"),
            XmlError::RootNotWim(r) => write!(f, "has root element <{r}>, not <WIM>"),
            XmlError::TooManyImages => write!(f, "describes more than {MAX_IMAGES} images"),
            XmlError::TooManyNodes => {
                write!(f, "has more than {MAX_XML_NODES} XML nodes or attributes")
            }
        }
    }
}

/// Decodes UTF-16LE with BOM to a string.
pub fn decode_utf16le(data: &[u8]) -> Result<String, XmlError> {
    if data.len() < 2 || data[0] != 0xFF || data[1] != 0xFE {
        return Err(XmlError::NoBom);
    }
    if !data.len().is_multiple_of(2) {
        return Err(XmlError::OddLength);
    }
    let units = data[2..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    let mut s = String::with_capacity(data.len() / 2);
    for r in char::decode_utf16(units) {
        match r {
            Ok(ch) => s.push(ch),
            Err(_) => return Err(XmlError::BadUtf16),
        }
    }
    // Some writers end the text with a NUL; XML forbids it.
    while s.ends_with('\0') {
        s.pop();
    }
    Ok(s)
}

fn child<'a, 'b>(n: roxmltree::Node<'a, 'b>, name: &str) -> Option<roxmltree::Node<'a, 'b>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name().eq_ignore_ascii_case(name))
}

fn text(n: roxmltree::Node, name: &str) -> Option<String> {
    child(n, name).map(|c| c.text().unwrap_or("").trim().to_string())
}

fn number(n: roxmltree::Node, name: &str) -> Option<u64> {
    text(n, name).and_then(|t| parse_number(&t))
}

fn parse_number(t: &str) -> Option<u64> {
    let t = t.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        t.parse().ok()
    }
}

fn filetime(n: roxmltree::Node, name: &str) -> Option<String> {
    let t = child(n, name)?;
    let hi = u32::from_str_radix(
        text(t, "HIGHPART")?
            .trim_start_matches("0x")
            .trim_start_matches("0X"),
        16,
    )
    .ok()?;
    let lo = u32::from_str_radix(
        text(t, "LOWPART")?
            .trim_start_matches("0x")
            .trim_start_matches("0X"),
        16,
    )
    .ok()?;
    Some(filetime_to_iso(((hi as u64) << 32) | lo as u64))
}

/// FILETIME (100 ns ticks since 1601-01-01 UTC) as ISO 8601.
pub fn filetime_to_iso(ft: u64) -> String {
    let secs = ft / 10_000_000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Days since 1601-01-01 to a civil date (proleptic Gregorian).
    let (y, m, d) = civil_from_days(days as i64 - 134_774); // 1601 -> 1970 offset
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // Howard Hinnant's well-known days-to-civil algorithm.
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn arch_name(v: &str) -> String {
    match parse_number(v) {
        Some(0) => "x86".into(),
        Some(5) => "arm".into(),
        Some(6) => "ia64".into(),
        Some(9) => "amd64".into(),
        Some(12) => "arm64".into(),
        _ => v.to_string(),
    }
}

/// Parses the XML resource's bytes.
pub fn parse(data: &[u8]) -> Result<XmlInfo, XmlError> {
    let text_doc = decode_utf16le(data)?;
    // The parser sizes its node and attribute tables from the counts of `<`
    // and `=` before it starts (and before its own node limit applies), so
    // they are bounded here.
    let count = |ch: u8| text_doc.bytes().filter(|&c| c == ch).count();
    if count(b'<') > MAX_XML_NODES as usize || count(b'=') > MAX_XML_NODES as usize {
        return Err(XmlError::TooManyNodes);
    }
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
    };
    let doc = roxmltree::Document::parse_with_options(&text_doc, opts).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => XmlError::TooManyNodes,
        e => XmlError::Parse(e.to_string()),
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "WIM" {
        return Err(XmlError::RootNotWim(
            root.tag_name().name().chars().take(64).collect(),
        ));
    }
    let mut info = XmlInfo {
        total_bytes: number(root, "TOTALBYTES"),
        encrypted_esd: child(root, "ESD")
            .and_then(|e| child(e, "ENCRYPTED"))
            .is_some(),
        ..Default::default()
    };
    for img in root
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "IMAGE")
    {
        if info.images.len() >= MAX_IMAGES as usize {
            return Err(XmlError::TooManyImages);
        }
        let win = child(img, "WINDOWS");
        let mut x = XmlImage {
            index: img
                .attribute("INDEX")
                .and_then(parse_number)
                .map(|v| v.min(u32::MAX as u64) as u32)
                .unwrap_or(0),
            name: text(img, "NAME"),
            description: text(img, "DESCRIPTION"),
            display_name: text(img, "DISPLAYNAME"),
            flags: text(img, "FLAGS"),
            dir_count: number(img, "DIRCOUNT"),
            file_count: number(img, "FILECOUNT"),
            total_bytes: number(img, "TOTALBYTES"),
            hard_link_bytes: number(img, "HARDLINKBYTES"),
            creation_time: filetime(img, "CREATIONTIME"),
            last_modification_time: filetime(img, "LASTMODIFICATIONTIME"),
            wimboot: text(img, "WIMBOOT").map(|v| v == "1"),
            display_description: text(img, "DISPLAYDESCRIPTION"),
            ..Default::default()
        };
        if let Some(w) = win {
            x.architecture = text(w, "ARCH").map(|a| arch_name(&a));
            x.edition = text(w, "EDITIONID");
            x.product_name = text(w, "PRODUCTNAME");
            x.installation_type = text(w, "INSTALLATIONTYPE");
            x.hal = text(w, "HAL");
            x.product_type = text(w, "PRODUCTTYPE");
            x.product_suite = text(w, "PRODUCTSUITE");
            x.system_root = text(w, "SYSTEMROOT");
            if let Some(langs) = child(w, "LANGUAGES") {
                x.default_language = text(langs, "DEFAULT");
                x.languages = langs
                    .children()
                    .filter(|c| c.is_element() && c.tag_name().name() == "LANGUAGE")
                    .filter_map(|c| c.text().map(|t| t.trim().to_string()))
                    .collect();
            }
            if let Some(v) = child(w, "VERSION") {
                x.sp_level = number(v, "SPLEVEL");
                let part = |n| {
                    number(v, n)
                        .map(|x| x.to_string())
                        .unwrap_or_else(|| "?".into())
                };
                x.version = Some(format!(
                    "{}.{}.{}.{}",
                    part("MAJOR"),
                    part("MINOR"),
                    part("BUILD"),
                    part("SPBUILD")
                ));
            }
        }
        info.images.push(x);
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn parses_images() {
        let xml = "<WIM><TOTALBYTES>560</TOTALBYTES><IMAGE INDEX=\"1\"><NAME>a &lt;b&gt;</NAME><DIRCOUNT>3</DIRCOUNT><FILECOUNT>7</FILECOUNT>\
                   <CREATIONTIME><HIGHPART>0x01D9A1B2</HIGHPART><LOWPART>0x3C4D5E6F</LOWPART></CREATIONTIME>\
                   <WINDOWS><ARCH>9</ARCH><EDITIONID>Professional</EDITIONID></WINDOWS></IMAGE></WIM>";
        let info = parse(&utf16(xml)).unwrap();
        assert_eq!(info.total_bytes, Some(560));
        let i = &info.images[0];
        assert_eq!(i.index, 1);
        assert_eq!(i.name.as_deref(), Some("a <b>"));
        assert_eq!((i.dir_count, i.file_count), (Some(3), Some(7)));
        assert_eq!(i.architecture.as_deref(), Some("amd64"));
        assert!(i.creation_time.as_deref().unwrap().starts_with("2023-"));
    }

    /// The shape of a DISM-written install.wim image (Windows 8.1 Pro, as
    /// `dism /Get-WimInfo` users post it): every property the editions
    /// table shows.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn parses_the_windows_properties_dism_shows() {
        let xml = "<WIM><TOTALBYTES>3457099927</TOTALBYTES><IMAGE INDEX=\"1\"><DIRCOUNT>19524</DIRCOUNT>\
                   <FILECOUNT>92795</FILECOUNT><TOTALBYTES>12855928858</TOTALBYTES><WIMBOOT>0</WIMBOOT>\
                   <WINDOWS><ARCH>9</ARCH><PRODUCTNAME>Microsoft\u{ae} Windows\u{ae} Operating System</PRODUCTNAME>\
                   <EDITIONID>Professional</EDITIONID><INSTALLATIONTYPE>Client</INSTALLATIONTYPE>\
                   <SERVICINGDATA><GDRDUREVISION>20140317</GDRDUREVISION></SERVICINGDATA><HAL>acpiapic</HAL>\
                   <PRODUCTTYPE>WinNT</PRODUCTTYPE><PRODUCTSUITE>Terminal Server</PRODUCTSUITE>\
                   <LANGUAGES><LANGUAGE>zh-CN</LANGUAGE><FALLBACK LANGUAGE=\"zh-CN\">en-US</FALLBACK>\
                   <DEFAULT>zh-CN</DEFAULT></LANGUAGES><VERSION><MAJOR>6</MAJOR><MINOR>3</MINOR>\
                   <BUILD>9600</BUILD><SPBUILD>17031</SPBUILD><SPLEVEL>0</SPLEVEL></VERSION>\
                   <SYSTEMROOT>WINDOWS</SYSTEMROOT></WINDOWS><NAME>Windows 8.1 Pro</NAME>\
                   <DESCRIPTION>Windows 8.1 Pro</DESCRIPTION><FLAGS>Professional</FLAGS>\
                   <DISPLAYNAME>Windows 8.1 \u{4e13}\u{4e1a}\u{7248}</DISPLAYNAME>\
                   <DISPLAYDESCRIPTION>Windows 8.1 \u{4e13}\u{4e1a}\u{7248}</DISPLAYDESCRIPTION></IMAGE></WIM>";
        let i = &parse(&utf16(xml)).unwrap().images[0];
        assert_eq!(i.edition.as_deref(), Some("Professional"));
        assert_eq!(i.installation_type.as_deref(), Some("Client"));
        assert_eq!(i.architecture.as_deref(), Some("amd64"));
        assert_eq!(i.version.as_deref(), Some("6.3.9600.17031"));
        assert_eq!(i.sp_level, Some(0));
        // The fallback language is not one of the image's languages.
        assert_eq!(i.languages, ["zh-CN"]);
        assert_eq!(i.default_language.as_deref(), Some("zh-CN"));
        assert_eq!(i.hal.as_deref(), Some("acpiapic"));
        assert_eq!(i.product_type.as_deref(), Some("WinNT"));
        assert_eq!(i.product_suite.as_deref(), Some("Terminal Server"));
        assert_eq!(i.system_root.as_deref(), Some("WINDOWS"));
        assert_eq!(i.flags.as_deref(), Some("Professional"));
        assert_eq!(
            i.display_description.as_deref(),
            Some("Windows 8.1 \u{4e13}\u{4e1a}\u{7248}")
        );
        assert_eq!(i.total_bytes, Some(12_855_928_858));
        // An empty element is there but blank; an absent one is None.
        let i = &parse(&utf16(
            "<WIM><IMAGE INDEX=\"1\"><WINDOWS><EDITIONID></EDITIONID></WINDOWS></IMAGE></WIM>",
        ))
        .unwrap()
        .images[0];
        assert_eq!((i.edition.as_deref(), i.flags.as_deref()), (Some(""), None));
        assert!(i.languages.is_empty() && i.default_language.is_none());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_bad_text() {
        assert_eq!(parse(b"<WIM/>"), Err(XmlError::NoBom));
        assert_eq!(
            parse(&utf16("<NOTWIM/>")),
            Err(XmlError::RootNotWim("NOTWIM".into()))
        );
        assert!(matches!(parse(&utf16("<WIM>")), Err(XmlError::Parse(_))));
        assert_eq!(
            filetime_to_iso(116_444_736_000_000_000),
            "1970-01-01T00:00:00Z"
        );
    }
}
