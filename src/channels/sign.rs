//! Request signing of the providers, as their documentation specifies it. Pure functions,
//! checked against the published test vectors (`docs/provider-test-vectors.md`, a copy of `shared/spec/`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;
type HmacSha1 = Hmac<sha1::Sha1>;

fn hmac256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key"));
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// RFC 3986 percent-encoding as Aliyun wants it: `A-Z a-z 0-9 - _ . ~` stay, every other
/// byte is `%XX` in upper case (a space is `%20`, `*` is `%2A`).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical query of signature V1: every parameter but `Signature`, sorted by name,
/// encoded, `name=value` joined with `&`.
pub fn aliyun_canonical_query(params: &[(&str, &str)]) -> String {
    let mut p: Vec<(&str, &str)> = params.iter().copied().filter(|(k, _)| *k != "Signature").collect();
    p.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    p.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect::<Vec<_>>().join("&")
}

/// Aliyun RPC signature V1 (HMAC-SHA1) of a request's parameters.
pub fn aliyun_rpc_v1(method: &str, params: &[(&str, &str)], access_key_secret: &str) -> String {
    let to_sign = format!("{method}&{}&{}", percent_encode("/"), percent_encode(&aliyun_canonical_query(params)));
    let key = format!("{access_key_secret}&");
    let mut m =
        <HmacSha1 as Mac>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC accepts any key"));
    m.update(to_sign.as_bytes());
    B64.encode(m.finalize().into_bytes())
}

/// What Aliyun signature V3 (ACS3-HMAC-SHA256) signs, and the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcsSignature {
    pub canonical_request_hash: String,
    pub signed_headers: String,
    pub signature: String,
}

impl AcsSignature {
    pub fn authorization(&self, access_key_id: &str) -> String {
        format!(
            "ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={},Signature={}",
            self.signed_headers, self.signature
        )
    }
}

/// Aliyun signature V3. `query` is the canonical query (already sorted and encoded);
/// `headers` are every header sent; `host` and the `x-acs-*` ones (and `content-type`, when
/// present) are signed. `x-acs-content-sha256` must already hold the body's hash.
pub fn aliyun_v3(
    method: &str,
    uri: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    secret: &str,
) -> AcsSignature {
    let mut signed: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .filter(|(k, _)| k == "host" || k == "content-type" || k.starts_with("x-acs-"))
        .collect();
    signed.sort();
    let canonical_headers: String = signed.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = signed.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
    let canonical = format!("{method}\n{uri}\n{query}\n{canonical_headers}\n{signed_headers}\n{}", sha256_hex(body));
    let canonical_request_hash = sha256_hex(canonical.as_bytes());
    let to_sign = format!("ACS3-HMAC-SHA256\n{canonical_request_hash}");
    AcsSignature {
        canonical_request_hash,
        signed_headers,
        signature: hex::encode(hmac256(secret.as_bytes(), to_sign.as_bytes())),
    }
}

/// Tencent Cloud TC3-HMAC-SHA256 for a JSON POST to `/` (how every Tencent Cloud API 3.0
/// call is made). Returns the hex signature; `timestamp` is in seconds.
pub fn tc3(secret_key: &str, service: &str, host: &str, content_type: &str, payload: &[u8], timestamp: i64) -> String {
    let date =
        chrono::DateTime::from_timestamp(timestamp, 0).map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default();
    let canonical =
        format!("POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n{}", sha256_hex(payload));
    let scope = format!("{date}/{service}/tc3_request");
    let to_sign = format!("TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}", sha256_hex(canonical.as_bytes()));
    let secret_date = hmac256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let secret_service = hmac256(&secret_date, service.as_bytes());
    let secret_signing = hmac256(&secret_service, b"tc3_request");
    hex::encode(hmac256(&secret_signing, to_sign.as_bytes()))
}

/// The `Authorization` header of a TC3 request.
pub fn tc3_authorization(secret_id: &str, service: &str, timestamp: i64, signature: &str) -> String {
    let date =
        chrono::DateTime::from_timestamp(timestamp, 0).map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default();
    format!(
        "TC3-HMAC-SHA256 Credential={secret_id}/{date}/{service}/tc3_request, SignedHeaders=content-type;host, Signature={signature}"
    )
}

/// DingTalk's signed webhook: `(timestamp, sign)` to append as `&timestamp=..&sign=..`; the
/// sign is already URL-encoded.
pub fn dingtalk(secret: &str, timestamp_ms: i64) -> String {
    let msg = format!("{timestamp_ms}\n{secret}");
    percent_encode(&B64.encode(hmac256(secret.as_bytes(), msg.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1_PARAMS: &[(&str, &str)] = &[
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("Format", "XML"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2016-02-23T12:46:24Z"),
        ("Version", "2014-05-26"),
    ];

    #[test]
    fn aliyun_rpc_v1_published_vector() {
        assert_eq!(aliyun_rpc_v1("GET", V1_PARAMS, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        assert_eq!(aliyun_rpc_v1("POST", V1_PARAMS, "testsecret"), "MxbnVAM4w6sft9xjVpe/GCKueuk=");
        // Order of the given parameters does not matter, and Signature itself is left out.
        let mut shuffled: Vec<(&str, &str)> = V1_PARAMS.iter().rev().copied().collect();
        shuffled.push(("Signature", "whatever"));
        assert_eq!(aliyun_rpc_v1("GET", &shuffled, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        assert_ne!(aliyun_rpc_v1("GET", V1_PARAMS, "testsecreT"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    }

    #[test]
    fn percent_encoding_follows_rfc_3986() {
        assert_eq!(percent_encode("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
        assert_eq!(percent_encode("悦"), "%E6%82%A6");
    }

    #[test]
    fn aliyun_v3_published_vector() {
        let empty = sha256_hex(b"");
        let headers = [
            ("host", "ecs.cn-shanghai.aliyuncs.com"),
            ("x-acs-action", "RunInstances"),
            ("x-acs-content-sha256", empty.as_str()),
            ("x-acs-date", "2023-10-26T10:22:32Z"),
            ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
            ("x-acs-version", "2014-05-26"),
        ];
        let s = aliyun_v3(
            "POST",
            "/",
            "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai",
            &headers,
            b"",
            "YourAccessKeySecret",
        );
        assert_eq!(s.canonical_request_hash, "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
        assert_eq!(s.signature, "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
        assert_eq!(
            s.signed_headers,
            "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
        );
        assert!(s.authorization("AKID").starts_with("ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders=host;"));
    }

    #[test]
    fn tencent_tc3_published_vector() {
        let payload = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let sig = tc3(
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            "cvm",
            "cvm.tencentcloudapi.com",
            "application/json; charset=utf-8",
            payload.as_bytes(),
            1_551_113_065,
        );
        assert_eq!(sig, "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
        assert_eq!(
            tc3_authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "cvm", 1_551_113_065, &sig),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    #[test]
    fn dingtalk_sign_is_url_encoded_base64_of_hmac() {
        let s = dingtalk("SEC000", 1_700_000_000_000);
        assert!(!s.contains('+') && !s.contains('/') && !s.contains('='), "{s}");
        // Recomputed from its definition with the generic pieces.
        let raw = B64.encode(hmac256(b"SEC000", b"1700000000000\nSEC000"));
        assert_eq!(s, percent_encode(&raw));
        assert_ne!(dingtalk("SEC000", 1_700_000_000_001), s);
    }

    #[test]
    fn dingtalk_sign_matches_a_vector_computed_outside_this_code() {
        // docs/provider-test-vectors.md: computed with OpenSSL, not with this module:
        //   printf '1700000000000\nSECdingtalk' | openssl dgst -sha256 -hmac SECdingtalk -binary | base64
        assert_eq!(dingtalk("SECdingtalk", 1_700_000_000_000), "fu5jSCt0ww6IRNRAT%2F18bSeoHhGKquVSOKsEvSa%2F2P8%3D");
    }
}
