package ipcbuf

import "encoding/base64"

// The codecs' vector paths (codec_amd64.go) do the bulk of UTF-8
// validation, the ASCII scan, base64 and base64url in both directions and
// hex encoding, in whole blocks; the scalar code in encoding.go does the
// rest and everything a vector path will not take, and stays the
// reference: each vector path gives exactly the scalar result.
//
// They are our own assembly, not github.com/segmentio/asm, which was
// measured against them: its utf8.Valid and base64 decoder are AVX2 only,
// its decoder takes one alphabet per call where Node mixes both and reports
// a failure without saying where the valid prefix ends, and it has no hex.

// The codec levels, in order: each includes the ones below it.
const (
	codecScalar = iota // the scalar code alone
	codecAVX2          // AVX2
	codecAVX512        // AVX-512 F, BW, VL and VBMI
)

// codecLevel is the vector level the codecs use: the best the CPU has
// (codecLevelMax), unless a test lowers it.
var codecLevel = codecLevelMax

// encodeBase64URL is decodeBytes for Base64URL: unpadded base64 in the URL
// alphabet, as base64.RawURLEncoding gives, whose encoder does what the
// vector path leaves.
func encodeBase64URL(b []byte) string {
	dst := make([]byte, base64.RawURLEncoding.EncodedLen(len(b)))
	k := base64EncodeFast(dst, bytesView(b), true)
	base64.RawURLEncoding.Encode(dst[k/3*4:], b[k:])
	return ownedString(dst)
}
