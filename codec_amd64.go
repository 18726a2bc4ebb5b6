//go:build amd64 && !purego

package ipcbuf

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// codecLevelMax is the best vector level this CPU and OS support. AVX-512
// needs VBMI too, for the byte permutations of the base64 codecs.
var codecLevelMax = func() int {
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VBMI:
		return codecAVX512
	case cpu.X86.HasAVX2:
		return codecAVX2
	}
	return codecScalar
}()

// The assembly in codec_amd64.s; each is described there. The input
// comes as an address (strAddr), not a pointer: the compiler takes every
// pointer an assembly function gets as written through, and would then
// copy a caller's []byte(s) that only these read, where it need not.

// strAddr returns the address of s's bytes. The caller keeps s alive
// across the call that uses it (runtime.KeepAlive); nothing can move it
// meanwhile, as the assembly neither calls nor grows the stack.
func strAddr(s string) uintptr { return uintptr(unsafe.Pointer(unsafe.StringData(s))) }

//go:noescape
func asciiPrefixAVX2(p uintptr, n int) int

//go:noescape
func validUTF8AVX2(p uintptr, n int, tail *byte, tab *byte) bool

//go:noescape
func validUTF8AVX512(p uintptr, n int, tail *byte, tab *byte) bool

//go:noescape
func base64EncAVX2(dst *byte, src uintptr, groups int, tab *byte)

//go:noescape
func base64EncAVX512(dst *byte, src uintptr, groups int, tab *byte)

//go:noescape
func base64DecAVX2(dst *byte, src uintptr, blocks int, tab *byte) int

//go:noescape
func base64DecAVX512(dst *byte, src uintptr, blocks int, tab *byte) int

//go:noescape
func hexEncAVX2(dst *byte, src uintptr, blocks int, tab *byte)

// asciiPrefixFast returns the length of a prefix of s that is all ASCII:
// all of s's leading ASCII run, or at least all of it but the last 31
// bytes. asciiPrefix finishes.
func asciiPrefixFast(s string) int {
	if codecLevel < codecAVX2 || len(s) < 64 {
		return 0
	}
	n := asciiPrefixAVX2(strAddr(s), len(s))
	runtime.KeepAlive(s)
	return n
}

// utf8Tab holds the constants of the UTF-8 validators: the three
// classification tables by nibble (Keiser and Lemire's byte_1_high,
// byte_1_low and byte_2_high, whose bits name the errors below), 0x0F, the
// largest byte allowed at each of the last 64 positions of a block (a lead
// byte there needs bytes the block does not hold), and the thresholds for
// leads of 3 and 4 bytes and the high bit.
var utf8Tab = func() (t [144]byte) {
	const (
		tooShort   = 1 << 0 // a lead not followed by a continuation
		tooLong    = 1 << 1 // ASCII followed by a continuation
		overlong3  = 1 << 2 // E0 80..9F
		tooLarge   = 1 << 3 // F4 90..BF, F5..FF 80..BF
		surrogate  = 1 << 4 // ED A0..BF
		overlong2  = 1 << 5 // C0, C1
		tooLarge1k = 1 << 6 // F5..FF 80..8F
		overlong4  = 1 << 6 // F0 80..8F
		twoConts   = 1 << 7 // a continuation after a continuation
		carry      = tooShort | tooLong | twoConts
	)
	copy(t[0:16], []byte{
		tooLong, tooLong, tooLong, tooLong, tooLong, tooLong, tooLong, tooLong,
		twoConts, twoConts, twoConts, twoConts,
		tooShort | overlong2, tooShort, tooShort | overlong3 | surrogate,
		tooShort | tooLarge | tooLarge1k | overlong4,
	})
	copy(t[16:32], []byte{
		carry | overlong3 | overlong2 | overlong4, carry | overlong2, carry, carry,
		carry | tooLarge, carry | tooLarge | tooLarge1k, carry | tooLarge | tooLarge1k, carry | tooLarge | tooLarge1k,
		carry | tooLarge | tooLarge1k, carry | tooLarge | tooLarge1k, carry | tooLarge | tooLarge1k, carry | tooLarge | tooLarge1k,
		carry | tooLarge | tooLarge1k, carry | tooLarge | tooLarge1k | surrogate, carry | tooLarge | tooLarge1k, carry | tooLarge | tooLarge1k,
	})
	cont := byte(tooLong | overlong2 | twoConts)
	copy(t[32:48], []byte{
		tooShort, tooShort, tooShort, tooShort, tooShort, tooShort, tooShort, tooShort,
		cont | overlong3 | tooLarge1k | overlong4, cont | overlong3 | tooLarge,
		cont | surrogate | tooLarge, cont | surrogate | tooLarge,
		tooShort, tooShort, tooShort, tooShort,
	})
	for i := 48; i < 64; i++ {
		t[i] = 0x0F
	}
	for i := 64; i < 128; i++ {
		t[i] = 0xFF
	}
	t[125], t[126], t[127] = 0xF0-1, 0xE0-1, 0xC0-1
	t[128], t[129], t[130] = 0xE0-0x80, 0xF0-0x80, 0x80
	return t
}()

// validUTF8Fast reports whether s is valid UTF-8, with done true, when a
// vector path takes s; else validUTF8 does. The last partial block is
// copied to one padded with zeros (ASCII, which ends any character).
func validUTF8Fast(s string) (valid, done bool) {
	switch {
	case codecLevel >= codecAVX512 && len(s) >= 64:
		var tail [64]byte
		n := len(s) &^ 63
		copy(tail[:], s[n:])
		valid = validUTF8AVX512(strAddr(s), n, &tail[0], &utf8Tab[0])
		runtime.KeepAlive(s)
		return valid, true
	case codecLevel >= codecAVX2 && len(s) >= 32:
		// The AVX2 validator takes 32 bytes a step even of ASCII, which
		// asciiPrefixAVX2 skips 128 at a time; an ASCII byte ends any
		// character, so the rest is checked on its own.
		s = s[asciiPrefixFast(s):]
		if len(s) < 32 {
			return false, false
		}
		var tail [32]byte
		n := len(s) &^ 31
		copy(tail[:], s[n:])
		valid = validUTF8AVX2(strAddr(s), n, &tail[0], &utf8Tab[0])
		runtime.KeepAlive(s)
		return valid, true
	}
	return false, false
}

// b64EncTab are the constants of base64EncAVX2, for the standard alphabet
// and the URL one: the offset that takes each range of 6-bit values to
// its characters (indexed as the assembly computes: 0 for 26..51, 1..10
// for 52..61, 11 for 62, 12 for 63, 13 for 0..25), the shuffle that puts
// bytes 1,0,2,1 of each 3 in a 32-bit lane, and the masks and multipliers
// that move the 6-bit fields into bytes.
var b64EncTab = func() (t [2][64]byte) {
	for k, alpha := range []string{b64Std, b64URL} {
		e := &t[k]
		e[0] = 'a' - 26
		for i := 1; i <= 10; i++ {
			e[i] = 0x100 + '0' - 52 // -4, as a byte
		}
		e[11] = alpha[62] - 62
		e[12] = alpha[63] - 63
		e[13] = 'A'
		copy(e[16:32], []byte{1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10})
		put32(e[32:], 0x0fc0fc00)
		put32(e[36:], 0x04000040)
		put32(e[40:], 0x003f03f0)
		put32(e[44:], 0x01000010)
		e[48], e[49], e[50] = 51, 26, 13
	}
	return t
}()

// b64Enc512Tab are the constants of base64EncAVX512, for each alphabet:
// the alphabet, the byte permutation that puts bytes 1,0,2,1 of each 3 in
// a 32-bit lane, and the bit offsets of the four 6-bit fields in each
// 64-bit word after it.
var b64Enc512Tab = func() (t [2][136]byte) {
	for k, alpha := range []string{b64Std, b64URL} {
		e := &t[k]
		copy(e[:64], alpha)
		for j := range 16 {
			copy(e[64+4*j:], []byte{byte(3*j + 1), byte(3 * j), byte(3*j + 2), byte(3*j + 1)})
		}
		for j, sh := range []byte{10, 4, 22, 16, 42, 36, 54, 48} {
			e[128+j] = sh
		}
	}
	return t
}()

const (
	b64Std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// put32 writes v to b little-endian.
func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// base64EncodeFast encodes a prefix of src, a multiple of 3 bytes long,
// into dst as base64 (the URL alphabet if url) and returns its length;
// dst must hold the encoding of all of src. It reads src once per output
// block (the AVX2 loads overlap, but each character comes from one load),
// which is what decoding shared memory needs.
func base64EncodeFast(dst []byte, src string, url bool) int {
	k := 0
	if url {
		k = 1
	}
	switch {
	case codecLevel >= codecAVX512 && len(src) >= 48:
		groups := len(src) / 48
		base64EncAVX512(unsafe.SliceData(dst), strAddr(src), groups, &b64Enc512Tab[k][0])
		runtime.KeepAlive(src)
		return 48 * groups
	case codecLevel >= codecAVX2 && len(src) >= 28:
		groups := (len(src) - 4) / 24 // each reads 4 bytes past its 24
		base64EncAVX2(unsafe.SliceData(dst), strAddr(src), groups, &b64EncTab[k][0])
		runtime.KeepAlive(src)
		return 24 * groups
	}
	return 0
}

// b64DecTab are the constants of base64DecAVX2. A byte is in either
// alphabet unless the class bits of its low nibble (0..15) and of its
// high nibble (16..31) share one: bit 0 for high nibbles with no
// character, then one bit for each high nibble 2, 3, 4 and 6, 5, 7, set
// for the low nibbles that are not characters with it. Its value is the
// byte plus the offset of its high nibble (32..47), plus for high nibble
// 2 the offset of its low nibble (48..63), plus 33 for '_'. Then the
// shuffle and permutation that pack 3 bytes of each 4, 0x0F, 2, '_', 33
// and the multipliers that merge the 6-bit values.
var b64DecTab = func() (t [160]byte) {
	copy(t[0:16], []byte{0x0B, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03,
		0x03, 0x03, 0x07, 0x35, 0x37, 0x35, 0x37, 0x25})
	copy(t[16:32], []byte{0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x08, 0x20,
		0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01})
	off := func(d int) byte { return byte(d) }
	copy(t[32:48], []byte{0, 0, 0, off(52 - '0'), off(-'A'), off(-'A'), off(26 - 'a'), off(26 - 'a')})
	t[48+'+'&15] = off(62 - '+')
	t[48+'-'&15] = off(62 - '-')
	t[48+'/'&15] = off(63 - '/')
	copy(t[64:80], []byte{2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, 0x80, 0x80, 0x80, 0x80})
	for j, v := range []uint32{0, 1, 2, 4, 5, 6, 7, 7} {
		put32(t[80+4*j:], v)
	}
	t[112], t[113], t[114], t[115] = 0x0F, 2, '_', off(63-'_'+'A')
	put32(t[116:], 0x01400140)
	for j := range 8 {
		put32(t[128+4*j:], 0x00011000)
	}
	return t
}()

// b64Dec512Tab are the constants of base64DecAVX512: the value of each
// ASCII byte in either alphabet or 0x80, the permutation that packs the 3
// bytes of each 32-bit lane, big-endian, and the multipliers.
var b64Dec512Tab = func() (t [200]byte) {
	for c := range 128 {
		if v := b64Value[c]; v >= 0 {
			t[c] = byte(v)
		} else {
			t[c] = 0x80
		}
	}
	for j := range 16 {
		copy(t[128+3*j:], []byte{byte(4*j + 2), byte(4*j + 1), byte(4 * j)})
	}
	put32(t[192:], 0x01400140)
	put32(t[196:], 0x00011000)
	return t
}()

// base64DecodeFast decodes the leading blocks of src that hold only
// characters of the two alphabets into dst, while whole blocks fit, and
// returns the number of characters taken (a multiple of 4) and of bytes
// written; it writes nothing past those. base64Quanta finishes.
func base64DecodeFast(dst []byte, src string) (int, int) {
	switch {
	case codecLevel >= codecAVX512 && len(src) >= 64 && len(dst) >= 48:
		blocks := min(len(src)/64, len(dst)/48)
		k := base64DecAVX512(unsafe.SliceData(dst), strAddr(src), blocks, &b64Dec512Tab[0])
		runtime.KeepAlive(src)
		return 64 * k, 48 * k
	case codecLevel >= codecAVX2 && len(src) >= 32 && len(dst) >= 24:
		blocks := min(len(src)/32, len(dst)/24)
		k := base64DecAVX2(unsafe.SliceData(dst), strAddr(src), blocks, &b64DecTab[0])
		runtime.KeepAlive(src)
		return 32 * k, 24 * k
	}
	return 0, 0
}

// hexTab are the constants of hexEncAVX2: the digits and 0x0F.
var hexTab = [17]byte{'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 0x0F}

// hexEncodeFast encodes a prefix of src into dst as lowercase hex and
// returns its length; dst must hold the encoding of all of src.
func hexEncodeFast(dst []byte, src string) int {
	if codecLevel < codecAVX2 || len(src) < 32 {
		return 0
	}
	blocks := len(src) / 32
	hexEncAVX2(unsafe.SliceData(dst), strAddr(src), blocks, &hexTab[0])
	runtime.KeepAlive(src)
	return 32 * blocks
}
