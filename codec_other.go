//go:build !amd64 || purego

package ipcbuf

// codecLevelMax is codecScalar: only amd64 has vector codecs.
const codecLevelMax = codecScalar

// The vector paths do nothing here: see codec_amd64.go for what they do
// there.

func asciiPrefixFast(s string) int                          { return 0 }
func validUTF8Fast(s string) (valid, done bool)             { return false, false }
func base64EncodeFast(dst []byte, src string, url bool) int { return 0 }
func base64DecodeFast(dst []byte, src string) (int, int)    { return 0, 0 }
func hexEncodeFast(dst []byte, src string) int              { return 0 }
