#!/bin/sh
# Regenerates the sandbox's throwaway RS256 signing key and its JWKS.
# Requires openssl, xxd and coreutils' basenc. Run from anywhere:
#   sh sandbox/keys/generate.sh
# The crate embeds both files at compile time (include_bytes!/include_str! in src/oauth/keys.rs),
# so rebuild afterwards. Every token signed by the previous key becomes unverifiable.
set -eu
cd "$(dirname "$0")"

# 2048-bit RSA private key, PKCS#8 PEM ("BEGIN PRIVATE KEY"), unencrypted.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sandbox-rsa.pem

b64url() { basenc --base64url -w0 | tr -d '='; }

# Modulus as unsigned big-endian bytes, base64url without padding (RFC 7518 §6.3.1).
n=$(openssl pkey -in sandbox-rsa.pem -noout -text \
    | sed -n '/^modulus:/,/^publicExponent:/p' | sed '1d;$d' | tr -d ' :\n' \
    | sed 's/^00//' | xxd -r -p | b64url)
e=AQAB # 65537, openssl's default public exponent

# kid = RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order.
kid=$(printf '{"e":"%s","kty":"RSA","n":"%s"}' "$e" "$n" | openssl dgst -sha256 -binary | b64url)

printf '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"%s","n":"%s","e":"%s"}]}\n' \
    "$kid" "$n" "$e" > jwks.json
echo "wrote $(pwd)/sandbox-rsa.pem and $(pwd)/jwks.json (kid $kid)"
