package money

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Fen
	}{
		{"12.50", 1250},
		{"12.5", 1250},
		{"12", 1200},
		{"0.01", 1},
		{".5", 50},
		{"1.", 100},
		{"0", 0},
		{"-3.2", -320},
		{"+7", 700},
		{" 189 ", 18900},
		{"0.30000000000000004", 30},  // 0.1 * 3 in JavaScript
		{"9.899999999999999", 990},   // 10.1 - 0.2 in JavaScript
		{"5.551115123125783e-17", 0}, // 0.1 + 0.2 - 0.3 in JavaScript
		{"1e2", 10000},
		{"1.5E1", 1500},
		{"0.005", 1}, // half a fen rounds away from zero
		{"0.0049", 0},
		{"-0.005", -1},
		{"0012.30", 1230},
		{"1000000000000", 100000000000000},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrSyntax},
		{"-", ErrSyntax},
		{".", ErrSyntax},
		{"abc", ErrSyntax},
		{"1,5", ErrSyntax},
		{"1.2.3", ErrSyntax},
		{"NaN", ErrSyntax},
		{"Infinity", ErrSyntax},
		{"0x10", ErrSyntax},
		{"1e", ErrSyntax},
		{"1e999999", ErrSyntax},
		{"--1", ErrSyntax},
		{"1000000000000.01", ErrRange},
		{"1e13", ErrRange},
		{"99999999999999999999", ErrRange},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if !errors.Is(err, tt.want) {
			t.Errorf("Parse(%q) = %d, %v; want error %v", tt.in, got, err, tt.want)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in   Fen
		want string
	}{
		{0, "0"},
		{1, "0.01"},
		{10, "0.1"},
		{1250, "12.5"},
		{1205, "12.05"},
		{18900, "189"},
		{-320, "-3.2"},
		{-5, "-0.05"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Fen(%d).String() = %q; want %q", tt.in, got, tt.want)
		}
		if back, err := Parse(tt.in.String()); err != nil || back != tt.in {
			t.Errorf("Parse(Fen(%d).String()) = %d, %v", tt.in, back, err)
		}
	}
}

func TestMarshalJSON(t *testing.T) {
	b, err := json.Marshal(map[string]Fen{"amountReal": 1250, "balance": 0})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"amountReal":12.5,"balance":0}`; got != want {
		t.Errorf("json = %s; want %s", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"12.50", "0.30000000000000004", "1e-7", "-3", ".5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		if v > maxYuan*100 || v < -maxYuan*100 {
			t.Fatalf("Parse(%q) = %d: out of range", s, v)
		}
		back, err := Parse(v.String())
		if err != nil || back != v {
			t.Fatalf("Parse(%q) = %d, but Parse(%q) = %d, %v", s, v, v.String(), back, err)
		}
	})
}
