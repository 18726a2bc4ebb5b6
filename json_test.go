package ipcbuf

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand"
	"strings"
	"testing"

	qt "github.com/frankban/quicktest"
	"github.com/google/go-cmp/cmp"
)

// Node 20's JSON.stringify(buf), that is buf.toJSON().
func TestJSONToJSON(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{nil, `{"type":"Buffer","data":[]}`},
		{[]byte{1, 2, 3}, `{"type":"Buffer","data":[1,2,3]}`},
		{[]byte{0, 9, 10, 99, 100, 255}, `{"type":"Buffer","data":[0,9,10,99,100,255]}`},
		{[]byte("hi"), `{"type":"Buffer","data":[104,105]}`},
	}
	for _, tt := range tests {
		b := FromBytes(tt.in)
		got, err := b.ToJSON()
		qt.Assert(t, err, qt.IsNil)
		if diff := cmp.Diff(tt.want, string(got)); diff != "" {
			t.Errorf("ToJSON(%x) mismatch (-want +got):\n%s", tt.in, diff)
		}
		got, err = b.MarshalJSON()
		qt.Assert(t, err, qt.IsNil)
		qt.Check(t, string(got), qt.Equals, tt.want)
	}
	// A view shows its own bytes only.
	got, err := FromBytes([]byte{1, 2, 3, 4}).Slice(1, 3).ToJSON()
	qt.Assert(t, err, qt.IsNil)
	qt.Check(t, string(got), qt.Equals, `{"type":"Buffer","data":[2,3]}`)

	closed := FromBytes([]byte{1})
	closed.Close()
	_, err = closed.ToJSON()
	qt.Check(t, err, qt.ErrorIs, fs.ErrClosed)
	_, err = (&Buffer{}).ToJSON()
	qt.Check(t, err, qt.ErrorIs, fs.ErrInvalid)
	got, err = (*Buffer)(nil).ToJSON()
	qt.Check(t, err, qt.IsNil)
	qt.Check(t, string(got), qt.Equals, "null")
}

type jsonHolder struct {
	Name  string
	Buf   *Buffer
	Empty *Buffer
	Nil   *Buffer
	Inner []*Buffer `json:"inner,omitempty"`
}

func TestJSONMarshalInStruct(t *testing.T) {
	v := jsonHolder{Name: "x", Buf: FromBytes([]byte("hi")), Empty: FromBytes(nil), Inner: []*Buffer{FromBytes([]byte{255})}}
	got, err := json.Marshal(v)
	qt.Assert(t, err, qt.IsNil)
	want := `{"Name":"x","Buf":{"type":"Buffer","data":[104,105]},"Empty":{"type":"Buffer","data":[]},"Nil":null,"inner":[{"type":"Buffer","data":[255]}]}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("json.Marshal mismatch (-want +got):\n%s", diff)
	}

	var back jsonHolder
	qt.Assert(t, json.Unmarshal(got, &back), qt.IsNil)
	qt.Check(t, back.Name, qt.Equals, "x")
	qt.Check(t, back.Buf.Bytes(), qt.DeepEquals, []byte("hi"))
	qt.Check(t, back.Buf.Kind(), qt.Equals, KindMemory)
	qt.Check(t, back.Empty.Len(), qt.Equals, 0)
	qt.Check(t, back.Nil, qt.IsNil)
	qt.Check(t, back.Inner[0].Bytes(), qt.DeepEquals, []byte{255})

	// A closed buffer fails the marshalling.
	v.Buf.Close()
	_, err = json.Marshal(v)
	qt.Check(t, err, qt.ErrorIs, fs.ErrClosed)
}

func TestJSONRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for range 200 {
		p := randBytes(r)
		data, err := json.Marshal(FromBytes(p))
		qt.Assert(t, err, qt.IsNil)
		var b Buffer
		qt.Assert(t, json.Unmarshal(data, &b), qt.IsNil)
		if diff := cmp.Diff(hex.EncodeToString(p), hex.EncodeToString(b.Bytes())); diff != "" {
			t.Fatalf("round trip of %s (-want +got):\n%s", data, diff)
		}
	}
}

// Node 20's Buffer.from({type, data}) takes each element
// through ToUint8. Every row was run in Node 20 (JSON.parse, then
// Buffer.from).
func TestJSONUnmarshal(t *testing.T) {
	tests := []struct {
		in      string
		wantHex string
		wantErr string // a regexp for the message
	}{
		{in: `{"type":"Buffer","data":[1,2,300,-1,1.7,"x"]}`, wantHex: "01022cff0100"},
		{in: `{"type":"Buffer","data":[1,2,256,-1,1.7,"3","x",null,257.9,-0.5,"NaN","Infinity",true,false,1e400,-1e400,123456789012345678,-123456789012345678,4294967297,-4294967297,255.99999999999999,1E2,0.5e1,-0]}`,
			wantHex: "010200ff01030000010000000100000050b001ff00640500"},
		{in: `{"type":"Buffer","data":[]}`, wantHex: ""},
		{in: ` { "data" : [ 1 , 2 ] ,"type" : "Buffer" , "other": {"length": 3} } `, wantHex: "0102"},
		{in: `{"type":"x","type":"Buffer","data":[5],"data":[1]}`, wantHex: "01"}, // the last of each, as JSON.parse
		{in: `{"type":"Buffer","data":["\u0031\u0030", " 0x1F\n", "\u00a0 7 ", "0b11", "-0o1"]}`, wantHex: "0a1f070300"},
		{in: `{"type":"Buffer","data":[9007199254740993, 999999999999999, 1000000000000000, -999999999999999]}`, wantHex: "00ff0001"},
		{in: `[1,2,3]`, wantErr: `ipcbuf: a Buffer in JSON must be .*cannot unmarshal array.*`},
		{in: `"abc"`, wantErr: `ipcbuf: a Buffer in JSON must be .*`},
		{in: `{"type":`, wantErr: `ipcbuf: a Buffer in JSON must be .*unexpected end of JSON input`},
		{in: `{"data":[1]}`, wantErr: `.*"type" is missing`},
		{in: `{"Type":"Buffer","data":[1]}`, wantErr: `.*"type" is missing`},
		{in: `{"type":"buffer","data":[1]}`, wantErr: `.*"type" is "buffer"`},
		{in: `{"type":1,"data":[1]}`, wantErr: `.*"type" is 1`},
		{in: `{"type":"Buffer"}`, wantErr: `.*"data" is missing, not an array`},
		{in: `{"type":"Buffer","data":null}`, wantErr: `.*"data" is null, not an array`},
		{in: `{"type":"Buffer","data":"abc"}`, wantErr: `.*"data" is "abc", not an array`},
		{in: `{"type":"Buffer","data":{"0":1}}`, wantErr: `.*"data" is {"0":1}, not an array`},
		{in: `{"type":"Buffer","data":[1,[7]]}`, wantErr: `ipcbuf: a Buffer in JSON: data\[1\] is an array; .*`},
		{in: `{"type":"Buffer","data":[{}]}`, wantErr: `ipcbuf: a Buffer in JSON: data\[0\] is an object; .*`},
		{in: `{"type":"Buffer","data":[1],"length":1}`, wantErr: `.*"length" member.*`},
	}
	for _, tt := range tests {
		b := FromBytes([]byte{0xee})
		view := b.Slice(0, 1)
		err := b.UnmarshalJSON([]byte(tt.in))
		if tt.wantErr != "" {
			qt.Check(t, err, qt.ErrorMatches, tt.wantErr, qt.Commentf("%s", tt.in))
			qt.Check(t, b.Bytes(), qt.DeepEquals, []byte{0xee}, qt.Commentf("unchanged after an error"))
			continue
		}
		if !qt.Check(t, err, qt.IsNil, qt.Commentf("%s", tt.in)) {
			continue
		}
		if diff := cmp.Diff(tt.wantHex, hex.EncodeToString(b.Bytes())); diff != "" {
			t.Errorf("UnmarshalJSON(%s) mismatch (-want +got):\n%s", tt.in, diff)
		}
		qt.Check(t, b.Kind(), qt.Equals, KindMemory)
		// The old memory is left alone: a view of it still works.
		qt.Check(t, view.Bytes(), qt.DeepEquals, []byte{0xee})
	}

	// null is no change; a nil receiver is an error, not a panic.
	b := FromBytes([]byte{7})
	qt.Check(t, b.UnmarshalJSON([]byte(" null ")), qt.IsNil)
	qt.Check(t, b.Bytes(), qt.DeepEquals, []byte{7})
	qt.Check(t, (*Buffer)(nil).UnmarshalJSON([]byte(`{"type":"Buffer","data":[]}`)), qt.ErrorMatches, ".*nil.*")
	// A closed buffer can be unmarshalled into: it is replaced.
	b.Close()
	qt.Check(t, b.UnmarshalJSON([]byte(`{"type":"Buffer","data":[3]}`)), qt.IsNil)
	qt.Check(t, b.Bytes(), qt.DeepEquals, []byte{3})
	// The zero Buffer too, which is what encoding/json makes for a *Buffer.
	var z Buffer
	qt.Check(t, z.UnmarshalJSON([]byte(`{"type":"Buffer","data":[4]}`)), qt.IsNil)
	qt.Check(t, z.Bytes(), qt.DeepEquals, []byte{4})
}

// JS's Number(s) for strings, by the bits Node 20 gives and the byte
// Buffer.from([s]) gives.
func TestJSONStringToNumber(t *testing.T) {
	tests := []struct {
		s    string
		bits string // of the float64, or NaN
		u8   byte
	}{
		{"", "0000000000000000", 0},
		{" ", "0000000000000000", 0},
		{"\t\n\v\f\r 12 \u00a0\ufeff\u2028\u2029\u1680\u2000\u200a\u202f\u205f\u3000", "4028000000000000", 12},
		{"\u180e1", "NaN", 0},
		{"\u200b1", "NaN", 0},
		{"\u00851", "NaN", 0},
		{"0x", "NaN", 0},
		{"0x1g", "NaN", 0},
		{"0X1F", "403f000000000000", 31},
		{"0b2", "NaN", 0},
		{"0B101", "4014000000000000", 5},
		{"0o8", "NaN", 0},
		{"0O17", "402e000000000000", 15},
		{"+0x1", "NaN", 0},
		{"-0x10", "NaN", 0},
		{"0x-1", "NaN", 0},
		{"0x+1", "NaN", 0},
		{"00x1", "NaN", 0},
		{"012", "4028000000000000", 12},
		{"08", "4020000000000000", 8},
		{"1e", "NaN", 0},
		{"1e+", "NaN", 0},
		{"1e+2", "4059000000000000", 100},
		{"1E-2", "3f847ae147ae147b", 0},
		{".", "NaN", 0},
		{"+.", "NaN", 0},
		{".e1", "NaN", 0},
		{"5.e1", "4049000000000000", 50},
		{"-.5", "bfe0000000000000", 0},
		{".5", "3fe0000000000000", 0},
		{"5.", "4014000000000000", 5},
		{"-0", "8000000000000000", 0},
		{"+Infinity", "7ff0000000000000", 0},
		{"-Infinity", "fff0000000000000", 0},
		{"Infinity", "7ff0000000000000", 0},
		{"infinity", "NaN", 0},
		{"Infinityx", "NaN", 0},
		{"NaN", "NaN", 0},
		{"1__0", "NaN", 0},
		{"1_0", "NaN", 0},
		{"1,0", "NaN", 0},
		{"0x" + strings.Repeat("f", 20), "44f0000000000000", 0},
		{"0x1fffffffffffff", "433fffffffffffff", 255},
		{"0x20000000000001", "4340000000000000", 0},
		{"0x20000000000003", "4340000000000002", 4},
		{"0x8000000000000400", "43e0000000000000", 0}, // a tie, to even
		{"0x8000000000000c00", "43e0000000000002", 0}, // a tie, to even
		{"0x8000000000000401", "43e0000000000001", 0},
		{"0x8000000000000800", "43e0000000000001", 0},
		{"0x10000000000000000", "43f0000000000000", 0},
		{"0x1fffffffffffffffff", "4440000000000000", 0},
		{"0x1" + strings.Repeat("0", 300), "7ff0000000000000", 0},
		{strings.Repeat("1", 400), "7ff0000000000000", 0},
		{"-255.9", "c06ffccccccccccd", 1},
		{"256", "4070000000000000", 0},
		{"-256", "c070000000000000", 0},
		{"1e21", "444b1ae4d6e2ef50", 0},
		{"123456789012345678901234567890", "45f8ee90ff6c373e", 0},
		{"0.00000001e9", "4024000000000000", 10},
		{"9007199254740993", "4340000000000000", 0},
		{"-9007199254740993", "c340000000000000", 0},
		{"  -7  ", "c01c000000000000", 249},
		{"0b" + strings.Repeat("1", 70), "4450000000000000", 0},
		{"0o777", "407ff00000000000", 255},
		{"0xff\n", "406fe00000000000", 255},
		{"1 2", "NaN", 0},
		{"+-1", "NaN", 0},
		{"\u0663", "NaN", 0},
		{"\uff11", "NaN", 0},
		{"inf", "NaN", 0},
		{"0x1p3", "NaN", 0},
		{"1d", "NaN", 0},
		{"1f", "NaN", 0},
		{"1e400", "7ff0000000000000", 0},
		{"-1e400", "fff0000000000000", 0},
		{"1e-400", "0000000000000000", 0},
		{"2.5e-324", "0000000000000001", 0},
		{"0.1", "3fb999999999999a", 0},
		{"4.35", "4011666666666666", 4},
		{"\xff1", "NaN", 0},
	}
	for _, tt := range tests {
		f := jsStringToNumber(tt.s)
		got := fmt.Sprintf("%016x", math.Float64bits(f))
		if math.IsNaN(f) {
			got = "NaN"
		}
		qt.Check(t, got, qt.Equals, tt.bits, qt.Commentf("Number(%+q)", tt.s))
		qt.Check(t, toUint8(f), qt.Equals, tt.u8, qt.Commentf("ToUint8(Number(%+q))", tt.s))
		// And the same through UnmarshalJSON.
		data, _ := json.Marshal(map[string]any{"type": "Buffer", "data": []string{tt.s}})
		var b Buffer
		if qt.Check(t, b.UnmarshalJSON(data), qt.IsNil) {
			qt.Check(t, b.Bytes(), qt.DeepEquals, []byte{tt.u8}, qt.Commentf("%s", data))
		}
	}
}

// Node's util.inspect(buf), with buffer.INSPECT_MAX_BYTES 50.
func TestJSONString(t *testing.T) {
	seq := func(n int, f func(i int) byte) []byte {
		p := make([]byte, n)
		for i := range p {
			p[i] = f(i)
		}
		return p
	}
	tests := []struct {
		in   []byte
		want string
	}{
		{nil, "<Buffer >"},
		{[]byte("hello"), "<Buffer 68 65 6c 6c 6f>"},
		{seq(50, func(i int) byte { return byte(255 - i) }),
			"<Buffer ff fe fd fc fb fa f9 f8 f7 f6 f5 f4 f3 f2 f1 f0 ef ee ed ec eb ea e9 e8 e7 e6 e5 e4 e3 e2 e1 e0 df de dd dc db da d9 d8 d7 d6 d5 d4 d3 d2 d1 d0 cf ce>"},
		{seq(51, func(i int) byte { return byte(i * 5) }),
			"<Buffer 00 05 0a 0f 14 19 1e 23 28 2d 32 37 3c 41 46 4b 50 55 5a 5f 64 69 6e 73 78 7d 82 87 8c 91 96 9b a0 a5 aa af b4 b9 be c3 c8 cd d2 d7 dc e1 e6 eb f0 f5 ... 1 more byte>"},
		{bytes.Repeat([]byte("ab"), 500),
			"<Buffer 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 61 62 ... 950 more bytes>"},
	}
	for _, tt := range tests {
		b := FromBytes(tt.in)
		if diff := cmp.Diff(tt.want, b.String()); diff != "" {
			t.Errorf("String of %d bytes mismatch (-want +got):\n%s", len(tt.in), diff)
		}
		qt.Check(t, fmt.Sprint(b), qt.Equals, tt.want)
		qt.Check(t, fmt.Sprintf("%v", b), qt.Equals, tt.want)
	}
	b := FromBytes([]byte{1, 2, 3})
	qt.Check(t, b.Slice(1, 3).String(), qt.Equals, "<Buffer 02 03>")
	b.Close()
	qt.Check(t, b.String(), qt.Equals, "<Buffer closed>")
	qt.Check(t, (&Buffer{}).String(), qt.Equals, "<Buffer zero value>")
	qt.Check(t, (*Buffer)(nil).String(), qt.Equals, "<nil>")
}

func TestJSONErrorsAreNotNodeErrors(t *testing.T) {
	// Shape errors are plain errors: Node has no code for them.
	err := new(Buffer).UnmarshalJSON([]byte(`{"type":"Buffer"}`))
	var nerr *Error
	qt.Check(t, errors.As(err, &nerr), qt.IsFalse)
}

// FuzzUnmarshalJSON: no input makes UnmarshalJSON panic; what it accepts
// marshals back to JSON that unmarshals to the same bytes, and an error
// leaves the buffer as it was.
func FuzzUnmarshalJSON(f *testing.F) {
	for _, s := range []string{
		`{"type":"Buffer","data":[1,2,300,-1,1.7,"x"]}`,
		`{"type":"Buffer","data":[]}`,
		`{"type":"Buffer","data":[" 0x1F ","1e3",true,null,"\u0031",1e400,-0]}`,
		`{"type":"Buffer","data":[[1]]}`,
		`{"type":"Buffer","data":{}}`,
		`{"type":"Buffer","data":[1],"length":2}`,
		`null`, `[1,2]`, `{"type":`, `{"type":"Buffer","data":["`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := FromBytes([]byte{0xee})
		if err := b.UnmarshalJSON(data); err != nil {
			if string(b.Bytes()) != "\xee" {
				t.Fatalf("UnmarshalJSON(%q) failed (%v) but changed the buffer to %x", data, err, b.Bytes())
			}
			return
		}
		j, err := b.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var again Buffer
		if err := json.Unmarshal(j, &again); err != nil || !bytes.Equal(again.Bytes(), b.Bytes()) {
			t.Fatalf("UnmarshalJSON(%q) = %x; marshalled %s; again %x, %v", data, b.Bytes(), j, again.Bytes(), err)
		}
	})
}
