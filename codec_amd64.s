//go:build amd64 && !purego

#include "textflag.h"

// The vector codecs of codec_amd64.go. Each function does whole blocks
// only and leaves the rest, and anything it will not take, to the scalar
// code in encoding.go, which stays the reference. The constants come in a
// table the Go side builds and documents (tab).

// func asciiPrefixAVX2(p uintptr, n int) int
// The length of the leading ASCII run of the n bytes at p, counted in 32-byte blocks
// and exact within the first block that holds a high byte; it stops before
// a last partial block.
TEXT ·asciiPrefixAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	XORQ AX, AX

loop128:
	LEAQ 128(AX), DX
	CMPQ DX, CX
	JHI  loop32
	VMOVDQU 0(SI)(AX*1), Y0
	VPOR    32(SI)(AX*1), Y0, Y0
	VPOR    64(SI)(AX*1), Y0, Y0
	VPOR    96(SI)(AX*1), Y0, Y0
	VPMOVMSKB Y0, BX
	TESTL   BX, BX
	JNZ     loop32
	MOVQ    DX, AX
	JMP     loop128

loop32:
	LEAQ 32(AX), DX
	CMPQ DX, CX
	JHI  done
	VMOVDQU   0(SI)(AX*1), Y0
	VPMOVMSKB Y0, BX
	TESTL     BX, BX
	JNZ       found
	MOVQ      DX, AX
	JMP       loop32

found:
	BSFL BX, BX
	ADDQ BX, AX

done:
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET

// func validUTF8AVX2(p uintptr, n int, tail *byte, tab *byte) bool
// Whether the n bytes at p, n a multiple of 32, followed by the 32 bytes at tail (the
// input's last bytes, padded with zeros), are valid UTF-8: the lookup
// algorithm of Keiser and Lemire, "Validating UTF-8 in less than one
// instruction per byte" (2021). Three table lookups by nibble classify
// each pair of adjacent bytes; the bytes that must be the second or third
// continuation of a 3- or 4-byte character are found from the bytes 2 and
// 3 places back. ASCII blocks skip the classification.
TEXT ·validUTF8AVX2(SB), NOSPLIT, $0-33
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $5, CX
	MOVQ tail+16(FP), DX
	MOVQ tab+24(FP), R8
	VBROADCASTI128 0(R8), Y13  // byte_1_high
	VBROADCASTI128 16(R8), Y14 // byte_1_low
	VBROADCASTI128 32(R8), Y15 // byte_2_high
	VBROADCASTI128 48(R8), Y11 // 0x0F
	VMOVDQU        96(R8), Y12 // the last 32 bytes of max_value
	VPBROADCASTB   128(R8), Y7 // 0xE0-0x80
	VPBROADCASTB   129(R8), Y6 // 0xF0-0x80
	VPBROADCASTB   130(R8), Y5 // 0x80
	VPXOR          Y10, Y10, Y10 // the errors so far
	VPXOR          Y9, Y9, Y9    // the previous block
	VPXOR          Y8, Y8, Y8    // the previous block's incomplete character
	XORQ           R9, R9        // 1 once the tail is taken

loop:
	TESTQ CX, CX
	JNZ   block
	TESTQ R9, R9
	JNZ   end
	MOVQ  DX, SI
	MOVQ  $1, R9
	MOVQ  $1, CX

block:
	VMOVDQU   (SI), Y0
	VPMOVMSKB Y0, AX
	TESTL     AX, AX
	JNZ       multibyte
	// All ASCII: only an incomplete character before it is an error.
	VPOR  Y8, Y10, Y10
	VPXOR Y8, Y8, Y8
	VMOVDQU Y0, Y9
	JMP   next

multibyte:
	VPERM2I128 $0x21, Y0, Y9, Y1 // the previous block's high lane, then this one's low lane
	VPALIGNR   $15, Y1, Y0, Y2   // prev1: the byte before each
	VPALIGNR   $14, Y1, Y0, Y3   // prev2
	VPALIGNR   $13, Y1, Y0, Y4   // prev3
	VPSRLW     $4, Y2, Y1
	VPAND      Y11, Y1, Y1
	VPSHUFB    Y1, Y13, Y1
	VPAND      Y11, Y2, Y2
	VPSHUFB    Y2, Y14, Y2
	VPAND      Y2, Y1, Y1
	VPSRLW     $4, Y0, Y2
	VPAND      Y11, Y2, Y2
	VPSHUFB    Y2, Y15, Y2
	VPAND      Y2, Y1, Y1 // the special cases
	VPSUBUSB   Y7, Y3, Y3 // only 111xxxxx two back stays >= 0x80
	VPSUBUSB   Y6, Y4, Y4 // only 1111xxxx three back
	VPOR       Y4, Y3, Y3
	VPAND      Y5, Y3, Y3 // must be a second or third continuation
	VPXOR      Y3, Y1, Y1
	VPOR       Y1, Y10, Y10
	VPSUBUSB   Y12, Y0, Y8 // a lead byte too near the end
	VMOVDQU    Y0, Y9

next:
	ADDQ $32, SI
	DECQ CX
	JMP  loop

end:
	VPOR  Y8, Y10, Y10
	VPTEST Y10, Y10
	SETEQ ret+32(FP)
	VZEROUPPER
	RET

// func validUTF8AVX512(p uintptr, n int, tail *byte, tab *byte) bool
// validUTF8AVX2 with 64-byte blocks: n is a multiple of 64
// and the tail is 64 bytes.
TEXT ·validUTF8AVX512(SB), NOSPLIT, $0-33
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $6, CX
	MOVQ tail+16(FP), DX
	MOVQ tab+24(FP), R8
	VBROADCASTI32X4 0(R8), Z13
	VBROADCASTI32X4 16(R8), Z14
	VBROADCASTI32X4 32(R8), Z15
	VBROADCASTI32X4 48(R8), Z11
	VMOVDQU64       64(R8), Z12
	VPBROADCASTB    128(R8), Z7
	VPBROADCASTB    129(R8), Z6
	VPBROADCASTB    130(R8), Z5
	VPXORQ          Z10, Z10, Z10
	VPXORQ          Z9, Z9, Z9
	VPXORQ          Z8, Z8, Z8
	XORQ            R9, R9

loop:
	TESTQ CX, CX
	JNZ   block
	TESTQ R9, R9
	JNZ   end
	MOVQ  DX, SI
	MOVQ  $1, R9
	MOVQ  $1, CX

block:
	VMOVDQU64 (SI), Z0
	VPMOVB2M  Z0, K1
	KORTESTQ  K1, K1
	JNZ       multibyte
	VPORQ     Z8, Z10, Z10
	VPXORQ    Z8, Z8, Z8
	VMOVDQU64 Z0, Z9
	JMP       next

multibyte:
	VALIGNQ   $6, Z9, Z0, Z1 // each 16-byte lane of this block, the one before it
	VPALIGNR  $15, Z1, Z0, Z2
	VPALIGNR  $14, Z1, Z0, Z3
	VPALIGNR  $13, Z1, Z0, Z4
	VPSRLW    $4, Z2, Z1
	VPANDQ    Z11, Z1, Z1
	VPSHUFB   Z1, Z13, Z1
	VPANDQ    Z11, Z2, Z2
	VPSHUFB   Z2, Z14, Z2
	VPANDQ    Z2, Z1, Z1
	VPSRLW    $4, Z0, Z2
	VPANDQ    Z11, Z2, Z2
	VPSHUFB   Z2, Z15, Z2
	VPANDQ    Z2, Z1, Z1
	VPSUBUSB  Z7, Z3, Z3
	VPSUBUSB  Z6, Z4, Z4
	VPORQ     Z4, Z3, Z3
	VPANDQ    Z5, Z3, Z3
	VPXORQ    Z3, Z1, Z1
	VPORQ     Z1, Z10, Z10
	VPSUBUSB  Z12, Z0, Z8
	VMOVDQU64 Z0, Z9

next:
	ADDQ $64, SI
	DECQ CX
	JMP  loop

end:
	VPORQ     Z8, Z10, Z10
	VPTESTMB  Z10, Z10, K1
	KORTESTQ  K1, K1
	SETEQ     ret+32(FP)
	VZEROUPPER
	RET

// func base64EncAVX2(dst *byte, src uintptr, groups int, tab *byte)
// Encodes 24 bytes to 32 characters, groups times; it reads 28 bytes of
// src per group (the last 4 are the next group's). Wojciech Muła and
// Daniel Lemire, "Faster Base64 Encoding and Decoding using AVX2
// Instructions" (2018): each 3 bytes spread over a 32-bit lane, the four
// 6-bit fields moved into bytes by two multiplies, then the alphabet by
// one lookup of an offset per range. tab holds that offset table for the
// alphabet at 0 and the constants after it.
TEXT ·base64EncAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ groups+16(FP), CX
	MOVQ tab+24(FP), R8
	VBROADCASTI128 0(R8), Y15  // offset of each range
	VBROADCASTI128 16(R8), Y14 // the byte shuffle
	VPBROADCASTD   32(R8), Y13 // 0x0fc0fc00
	VPBROADCASTD   36(R8), Y12 // 0x04000040
	VPBROADCASTD   40(R8), Y11 // 0x003f03f0
	VPBROADCASTD   44(R8), Y10 // 0x01000010
	VPBROADCASTB   48(R8), Y9  // 51
	VPBROADCASTB   49(R8), Y8  // 26
	VPBROADCASTB   50(R8), Y7  // 13

loop:
	TESTQ CX, CX
	JZ    done
	VMOVDQU     (SI), X0
	VINSERTI128 $1, 12(SI), Y0, Y0
	VPSHUFB     Y14, Y0, Y0
	VPAND       Y13, Y0, Y1
	VPMULHUW    Y12, Y1, Y1
	VPAND       Y11, Y0, Y2
	VPMULLW     Y10, Y2, Y2
	VPOR        Y2, Y1, Y1 // the 6-bit values
	VPSUBUSB    Y9, Y1, Y2 // 52..63 to 1..12, the rest 0
	VPCMPGTB    Y1, Y8, Y3 // below 26
	VPAND       Y7, Y3, Y3
	VPOR        Y3, Y2, Y2 // and 0..25 to 13
	VPSHUFB     Y2, Y15, Y2
	VPADDB      Y1, Y2, Y2
	VMOVDQU     Y2, (DI)
	ADDQ        $24, SI
	ADDQ        $32, DI
	DECQ        CX
	JMP         loop

done:
	VZEROUPPER
	RET

// func base64EncAVX512(dst *byte, src uintptr, groups int, tab *byte)
// Encodes 48 bytes to 64 characters, groups times, reading exactly those
// bytes. Muła's AVX512VBMI encoder: one byte permutation puts each 3
// bytes in a 32-bit lane, one multishift takes the four 6-bit fields to
// bytes, one permutation looks them up in the 64-character alphabet. tab
// holds the alphabet at 0, the permutation at 64 and the shifts at 128.
TEXT ·base64EncAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ groups+16(FP), CX
	MOVQ tab+24(FP), R8
	VMOVDQU64 0(R8), Z15
	VMOVDQU64 64(R8), Z14
	VPBROADCASTQ 128(R8), Z13
	MOVQ $0xFFFFFFFFFFFF, AX
	KMOVQ AX, K1

loop:
	TESTQ CX, CX
	JZ    done
	VMOVDQU8.Z     (SI), K1, Z0
	VPERMB         Z0, Z14, Z0
	VPMULTISHIFTQB Z0, Z13, Z0
	VPERMB         Z15, Z0, Z0
	VMOVDQU64      Z0, (DI)
	ADDQ           $48, SI
	ADDQ           $64, DI
	DECQ           CX
	JMP            loop

done:
	VZEROUPPER
	RET

// func base64DecAVX2(dst *byte, src uintptr, blocks int, tab *byte) int
// Decodes 32 characters of either alphabet to 24 bytes at a time, at most
// blocks times, and stops before the first block holding anything else;
// it returns the number of blocks decoded and writes nothing past them.
// Muła and Lemire (2018) again: a byte is in the alphabets unless the
// lookups by its high and its low nibble share a bit; its value is the
// byte plus an offset looked up by the high nibble (by the low one for
// '+', '-' and '/', whose high nibble is 2, and fixed up for '_').
TEXT ·base64DecAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ blocks+16(FP), CX
	MOVQ tab+24(FP), R8
	VBROADCASTI128 0(R8), Y15  // class bits by low nibble
	VBROADCASTI128 16(R8), Y14 // class bits by high nibble
	VBROADCASTI128 32(R8), Y13 // offset by high nibble
	VBROADCASTI128 48(R8), Y12 // offset by low nibble, for high nibble 2
	VBROADCASTI128 64(R8), Y11 // the byte shuffle that packs 3 of 4
	VMOVDQU        80(R8), Y10 // the dword permutation that packs the lanes
	VPBROADCASTB   112(R8), Y9 // 0x0F
	VPBROADCASTB   113(R8), Y8 // 0x02
	VPBROADCASTB   114(R8), Y7 // '_'
	VPBROADCASTB   115(R8), Y6 // 33
	VPBROADCASTD   116(R8), Y5 // 0x01400140
	XORQ           AX, AX

loop:
	CMPQ AX, CX
	JEQ  done
	VMOVDQU  (SI), Y0
	VPSRLD   $4, Y0, Y1
	VPAND    Y9, Y1, Y1 // high nibbles
	VPAND    Y9, Y0, Y2 // low nibbles
	VPSHUFB  Y2, Y15, Y3
	VPSHUFB  Y1, Y14, Y4
	VPTEST   Y4, Y3
	JNZ      done
	VPSHUFB  Y1, Y13, Y3
	VPCMPEQB Y8, Y1, Y1
	VPSHUFB  Y2, Y12, Y2
	VPAND    Y1, Y2, Y2
	VPADDB   Y2, Y3, Y3
	VPCMPEQB Y7, Y0, Y1
	VPAND    Y6, Y1, Y1
	VPADDB   Y1, Y3, Y3
	VPADDB   Y3, Y0, Y0 // the 6-bit values
	VPMADDUBSW Y5, Y0, Y0
	VPMADDWD   128(R8), Y0, Y0 // 0x00011000
	VPSHUFB    Y11, Y0, Y0
	VPERMD     Y0, Y10, Y0
	VMOVDQU    X0, (DI)
	VEXTRACTI128 $1, Y0, X1
	MOVQ       X1, 16(DI)
	ADDQ       $32, SI
	ADDQ       $24, DI
	INCQ       AX
	JMP        loop

done:
	MOVQ AX, ret+32(FP)
	VZEROUPPER
	RET

// func base64DecAVX512(dst *byte, src uintptr, blocks int, tab *byte) int
// base64DecAVX2 with 64 characters to 48 bytes: Muła's AVX512VBMI
// decoder, whose lookup is one permutation of a 128-byte table that gives
// each ASCII byte its value, or 0x80 when it is in neither alphabet. tab
// holds that table at 0, the packing permutation at 128 and the
// multipliers at 192.
TEXT ·base64DecAVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ blocks+16(FP), CX
	MOVQ tab+24(FP), R8
	VMOVDQU64    0(R8), Z15
	VMOVDQU64    64(R8), Z14
	VMOVDQU64    128(R8), Z13
	VPBROADCASTD 192(R8), Z12
	VPBROADCASTD 196(R8), Z11
	MOVQ         $0xFFFFFFFFFFFF, BX
	KMOVQ        BX, K2
	XORQ         AX, AX

loop:
	CMPQ AX, CX
	JEQ  done
	VMOVDQU64  (SI), Z0
	VMOVDQA64  Z15, Z1
	VPERMT2B   Z14, Z0, Z1
	VPORQ      Z0, Z1, Z2
	VPMOVB2M   Z2, K1
	KORTESTQ   K1, K1
	JNZ        done
	VPMADDUBSW Z12, Z1, Z1
	VPMADDWD   Z11, Z1, Z1
	VPERMB     Z1, Z13, Z1
	VMOVDQU8   Z1, K2, (DI)
	ADDQ       $64, SI
	ADDQ       $48, DI
	INCQ       AX
	JMP        loop

done:
	MOVQ AX, ret+32(FP)
	VZEROUPPER
	RET

// func hexEncAVX2(dst *byte, src uintptr, blocks int, tab *byte)
// Encodes 32 bytes to 64 lowercase hex digits, blocks times: each nibble
// looked up in "0123456789abcdef", the high and low digits interleaved.
TEXT ·hexEncAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ blocks+16(FP), CX
	MOVQ tab+24(FP), R8
	VBROADCASTI128 0(R8), Y15  // the digits
	VPBROADCASTB   16(R8), Y14 // 0x0F

loop:
	TESTQ CX, CX
	JZ    done
	VMOVDQU     (SI), Y0
	VPSRLW      $4, Y0, Y1
	VPAND       Y14, Y1, Y1
	VPAND       Y14, Y0, Y0
	VPSHUFB     Y1, Y15, Y1
	VPSHUFB     Y0, Y15, Y0
	VPUNPCKLBW  Y0, Y1, Y2 // bytes 0..7 and 16..23
	VPUNPCKHBW  Y0, Y1, Y3 // bytes 8..15 and 24..31
	VPERM2I128  $0x20, Y3, Y2, Y0
	VPERM2I128  $0x31, Y3, Y2, Y1
	VMOVDQU     Y0, (DI)
	VMOVDQU     Y1, 32(DI)
	ADDQ        $32, SI
	ADDQ        $64, DI
	DECQ        CX
	JMP         loop

done:
	VZEROUPPER
	RET
