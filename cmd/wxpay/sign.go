package main

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/wxpay-go/wxpay"
)

var signTypes = []wxpay.SignType{wxpay.SignTypeMD5, wxpay.SignTypeHMACSHA256}

// keyFlags are the key flags sign and verify share.
type keyFlags struct {
	keyFile, sandboxKeyFile *string
	sandbox                 *bool
}

func addKeyFlags(fs *flag.FlagSet) *keyFlags {
	return &keyFlags{
		keyFile:        fs.String("key-file", "", "read the API key from `file` (default: $"+envAPIKey+")"),
		sandboxKeyFile: fs.String("sandbox-key-file", "", "read the sandbox key (sandbox_signkey) from `file` (default: $"+envSandboxKey+")"),
		sandbox:        fs.Bool("sandbox", false, "the message belongs to the sandbox: use the sandbox key"),
	}
}

// keys returns the key to use and the other one ("" if not given), with
// a name for the key used.
func (k *keyFlags) keys(e *env) (key, other, name string, err error) {
	apiKey, err := e.apiKey(k.keyFile)
	if err != nil {
		return "", "", "", err
	}
	sandboxKey, err := e.sandboxKey(k.sandboxKeyFile)
	if err != nil {
		return "", "", "", err
	}
	if !*k.sandbox {
		return apiKey, sandboxKey, "the API key", nil
	}
	if sandboxKey == "" {
		return "", "", "", usageError("-sandbox needs the sandbox key: set %s or use -sandbox-key-file%s", envSandboxKey,
			e.notRead("WXPAY_SANDBOX_KEY", envSandboxKey, ""))
	}
	return sandboxKey, apiKey, "the sandbox key", nil
}

func cmdSign(e *env, args []string) int {
	fs := e.flags("[-key-file file] [-sandbox-key-file file] [-sandbox] [file]")
	k := addKeyFlags(fs)
	in, err := e.load(fs, k, args, nil)
	if err != nil {
		return e.exit(err)
	}
	m, err := parseMessage(in.data)
	if err != nil {
		return e.fail(err)
	}
	key, keyName := in.key, in.keyName
	w := e.stdout
	signed, empty := sortedFields(m.p)
	fmt.Fprintf(w, "form: %s\n", m.form)
	printFields(w, signed, empty)
	fmt.Fprintf(w, "canonical string (%s shown as ***):\n%s\n", keyName, canonical(m.p, signed, "***", false))
	for _, t := range signTypes {
		s, err := wxpay.Sign(m.p, key, t)
		if err != nil {
			return e.fail(err)
		}
		fmt.Fprintf(w, "%-12s %s\n", string(t)+":", s)
	}
	if st, ok := m.p["sign_type"]; ok && st != "" {
		fmt.Fprintf(w, "the message has sign_type=%s: it is signed with the rest, and it says which signature to send\n", st)
	} else {
		fmt.Fprintln(w, "the message has no sign_type: WeChat expects MD5 unless the request declared HMAC-SHA256")
	}
	if *k.sandbox {
		fmt.Fprintln(w, "the sandbox accepts MD5 only")
	}
	return exitOK
}

func printFields(w io.Writer, signed, empty []string) {
	fmt.Fprintf(w, "fields signed (%d): %s\n", len(signed), strings.Join(signed, ", "))
	if len(empty) > 0 {
		fmt.Fprintf(w, "empty fields left out (%d): %s\n", len(empty), strings.Join(empty, ", "))
	}
}

// canonical joins the named fields of p as name=value with '&' and
// appends key=<key> unless noKey: the string that is digested.
func canonical(p wxpay.Params, names []string, key string, noKey bool) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(p[n])
		b.WriteByte('&')
	}
	if noKey {
		return strings.TrimSuffix(b.String(), "&")
	}
	b.WriteString("key=")
	b.WriteString(key)
	return b.String()
}

// digest signs s, the whole canonical string, as WeChat does: MD5 of s,
// or HMAC-SHA256 of s keyed with key; upper-case hex.
func digest(s, key string, t wxpay.SignType) string {
	var sum []byte
	if t == wxpay.SignTypeMD5 {
		h := md5.Sum([]byte(s))
		sum = h[:]
	} else {
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write([]byte(s))
		sum = mac.Sum(nil)
	}
	return strings.ToUpper(hex.EncodeToString(sum))
}

func cmdVerify(e *env, args []string) int {
	fs := e.flags("[-key-file file] [-sandbox-key-file file] [-sandbox] [-sign-type MD5|HMAC-SHA256] [file]")
	k := addKeyFlags(fs)
	signType := fs.String("sign-type", "", "the sign type the message must have, e.g. the one its request declared\n(default: the message's sign_type, else inferred from the sign's length)")
	in, err := e.load(fs, k, args, func() error {
		if *signType != "" && !wxpay.SignType(*signType).Valid() {
			return usageError("-sign-type must be MD5 or HMAC-SHA256, not %q", *signType)
		}
		return nil
	})
	if err != nil {
		return e.exit(err)
	}
	m, err := parseMessage(in.data)
	if err != nil {
		return e.fail(err)
	}
	v := &verifier{
		m: m, got: m.p["sign"], key: in.key, other: in.other, keyName: in.keyName,
		sandbox: *k.sandbox, flagType: wxpay.SignType(*signType),
	}
	if v.verify(e.stdout) {
		return exitOK
	}
	return exitInvalid
}

// verifier checks one message and, when its sign does not match, tries
// the usual mistakes one by one, each by recomputing the sign the way the
// mistaken signer would have.
type verifier struct {
	m        *message
	got      string // the message's sign
	key      string // the key the message should be signed with
	other    string // the other key: the sandbox key, or in sandbox mode the API key; "" if not given
	keyName  string
	sandbox  bool
	flagType wxpay.SignType // -sign-type, or ""

	t        wxpay.SignType // the type checked
	how      string         // where t came from
	findings []finding
}

// A finding is one confirmed (or suspected) cause of a mismatch. name is
// the short label a reader (and the tests) look for.
type finding struct {
	name, text string
}

func (v *verifier) verify(w io.Writer) bool {
	p := v.m.p
	if v.got == "" {
		fmt.Fprintln(w, "INVALID: the message has no sign field")
		return false
	}
	v.chooseType(w)
	if v.m.redPack() && p["sign_type"] != "" {
		fmt.Fprintf(w, "INVALID: a red-packet message with sign_type=%s: red packets are signed with MD5, and WeChat refuses sign_type in them, sent or signed; remove it and sign again\n", p["sign_type"])
		return false
	}
	want, err := wxpay.Sign(p, v.key, v.t)
	if err != nil {
		fmt.Fprintf(w, "INVALID: %v\n", err)
		return false
	}
	if want == v.got && v.sandbox && v.t != wxpay.SignTypeMD5 {
		fmt.Fprintf(w, "INVALID: a valid %s sign, but the sandbox signs and accepts MD5 only\n", v.t)
		return false
	}
	if want == v.got {
		fmt.Fprintf(w, "valid: %s sign (%s), checked with %s\n", v.t, v.how, v.keyName)
		if st := p["sign_type"]; v.flagType != "" && st != "" && wxpay.SignType(st) != v.flagType {
			fmt.Fprintf(w, "note: the message's sign_type is %s\n", st)
		}
		return true
	}
	signed, empty := sortedFields(p)
	fmt.Fprintln(w, "INVALID: the sign does not match")
	fmt.Fprintf(w, "checked as: %s (%s), with %s\n", v.t, v.how, v.keyName)
	fmt.Fprintf(w, "form: %s\n", v.m.form)
	printFields(w, signed, empty)
	fmt.Fprintf(w, "canonical string: %s\n", canonical(p, signed, "***", false))
	fmt.Fprintf(w, "expected sign: %s\n", want)
	fmt.Fprintf(w, "message sign:  %s\n", v.got)

	v.diagnose()
	fmt.Fprintln(w, "diagnosis:")
	for _, f := range v.findings {
		fmt.Fprintf(w, "  - %s: %s\n", f.name, f.text)
	}
	return false
}

// chooseType picks the sign type as the SDK would: -sign-type (the type
// the request declared), else the message's sign_type, else the sign's
// length.
func (v *verifier) chooseType(w io.Writer) {
	st := v.m.p["sign_type"]
	switch {
	case v.m.modeOne && v.flagType == "":
		v.t, v.how = wxpay.SignTypeMD5, "a mode-1 link is always MD5, over appid, mch_id, nonce_str, product_id and time_stamp"
	case v.m.redPack() && v.flagType == "":
		v.t, v.how = wxpay.SignTypeMD5, "a red-packet message is always MD5, without sign_type"
	case v.flagType != "":
		v.t, v.how = v.flagType, "-sign-type"
	case wxpay.SignType(st).Valid():
		v.t, v.how = wxpay.SignType(st), "the message's sign_type field"
	case len(v.got) == 64:
		v.t, v.how = wxpay.SignTypeHMACSHA256, "inferred from the sign's 64 hex digits"
	default:
		v.t, v.how = wxpay.SignTypeMD5, "inferred from the sign's length"
		if len(v.got) == 32 {
			v.how = "inferred from the sign's 32 hex digits"
		}
	}
	if st != "" && !wxpay.SignType(st).Valid() {
		fmt.Fprintf(w, "note: sign_type %q is neither MD5 nor HMAC-SHA256\n", st)
	}
	if n := len(v.got); n != 32 && n != 64 {
		fmt.Fprintf(w, "note: the sign has %d characters; MD5 signs have 32, HMAC-SHA256 signs 64\n", n)
	}
}

// variant is a way a signer may have computed the sign.
type variant struct {
	p     wxpay.Params
	names []string // the fields digested, in order; nil: the sorted non-empty ones
	key   string
	noKey bool // "&key=…" left out
}

// matches returns the sign types under which the variant reproduces the
// message's sign, compared without regard to case (lower-case hex is a
// mistake of its own).
func (v *verifier) matches(va variant) []wxpay.SignType {
	names := va.names
	if names == nil {
		names, _ = sortedFields(va.p)
	}
	s := canonical(va.p, names, va.key, va.noKey)
	var out []wxpay.SignType
	for _, t := range signTypes {
		if strings.EqualFold(digest(s, va.key, t), v.got) {
			out = append(out, t)
		}
	}
	return out
}

// with returns a copy of the message with field k set to val ("" deletes).
func (v *verifier) with(edits map[string]string) wxpay.Params {
	p := make(wxpay.Params, len(v.m.p))
	for k, val := range v.m.p {
		p[k] = val
	}
	for k, val := range edits {
		if val == "" {
			delete(p, k)
		} else {
			p[k] = val
		}
	}
	return p
}

func (v *verifier) add(name, format string, args ...any) {
	v.findings = append(v.findings, finding{name: name, text: fmt.Sprintf(format, args...)})
}

// typeNote says under which type a variant matched, when it is not the
// type checked.
func (v *verifier) typeNote(ts []wxpay.SignType) string {
	if slices.Contains(ts, v.t) {
		return ""
	}
	return fmt.Sprintf(" (and as %s, not %s: a sign_type mismatch too)", ts[0], v.t)
}

var urlEscape = regexp.MustCompile(`%[0-9A-Fa-f]{2}|\+`)

func (v *verifier) diagnose() {
	p := v.m.p
	base := variant{p: p, key: v.key}

	// When the sign matches as it is, but for case, only the lower-case
	// finding at the end applies.
	baseTypes := v.matches(base)
	if ts := baseTypes; len(ts) > 0 {
		if !slices.Contains(ts, v.t) {
			v.add("sign_type mismatch", "the sign is a valid %s sign, but the message is checked as %s (%s); sign and verify with the type the request declared (sign_type), and send sign_type when it is HMAC-SHA256", ts[0], v.t, v.how)
		}
	}

	// sign_type present but not signed, or signed but not sent.
	if st, ok := p["sign_type"]; ok && st != "" {
		if ts := v.matches(variant{p: v.with(map[string]string{"sign_type": ""}), key: v.key}); len(ts) > 0 {
			v.add("sign_type not signed", "the message carries sign_type=%s but the signer left it out of the signed fields; when sign_type is sent it is signed like any other field%s", st, v.typeNote(ts))
		}
	} else {
		for _, t := range signTypes {
			if ts := v.matches(variant{p: v.with(map[string]string{"sign_type": string(t)}), key: v.key}); len(ts) > 0 {
				v.add("sign_type signed but not sent", "the sign includes sign_type=%s, but the message does not carry the field; send it", t)
			}
		}
	}

	v.tryEach("empty field signed", func(k, val string) (string, bool) { return "", val == "" && k != "sign" },
		func(k string) string {
			return fmt.Sprintf("field %s is empty but was signed as %q; fields with empty values must be left out of the signed string", k, k+"=")
		}, true)

	v.tryEach("URL-encoded value", func(k, val string) (string, bool) {
		if k == "sign" || !urlEscape.MatchString(val) {
			return "", false
		}
		d, err := url.QueryUnescape(val)
		return d, err == nil && d != val
	}, func(k string) string {
		return fmt.Sprintf("field %s is URL-encoded in the message (%q) but was signed decoded; sign and send raw values, escape nothing but XML", k, p[k])
	}, false)

	v.tryEach("URL-encoded value", func(k, val string) (string, bool) {
		enc := url.QueryEscape(val)
		return enc, k != "sign" && val != "" && enc != val
	}, func(k string) string {
		return fmt.Sprintf("field %s (%q) was URL-encoded before signing (as %q); sign the raw value", k, p[k], url.QueryEscape(p[k]))
	}, false)

	v.tryEach("leading/trailing spaces", func(k, val string) (string, bool) {
		t := strings.TrimSpace(val)
		return t, k != "sign" && t != val
	}, func(k string) string {
		return fmt.Sprintf("field %s has leading or trailing whitespace (%q) that the signer trimmed; WeChat signs values exactly, so trim them before signing and sending, or not at all", k, p[k])
	}, false)

	v.wrongKey()

	if ts := v.matches(variant{p: p, key: v.key, noKey: true}); len(ts) > 0 {
		v.add("key not appended", "the signer left \"&key=<API key>\" off the signed string; it is appended for MD5 and HMAC-SHA256 alike%s", v.typeNote(ts))
	}

	if order := v.inputOrder(); order != nil {
		if ts := v.matches(variant{p: p, names: order, key: v.key}); len(ts) > 0 {
			v.add("fields not sorted", "the fields were signed in the order they are written, not sorted by name (byte order, upper case first)%s", v.typeNote(ts))
		}
	}

	if len(v.findings) == 0 && len(baseTypes) == 0 {
		v.unexplained()
		return
	}
	// Every variant is compared without regard to case: one that matched
	// a sign with lower-case letters proves lower-case hex as well.
	if v.got != strings.ToUpper(v.got) {
		v.add("lower-case hex", "the sign is written in lower-case hex; WeChat writes and compares upper-case hex")
	}
}

// tryEach tries a fix on each field it applies to, then on all of them
// together, and reports the first that reproduces the sign. fix returns
// the value the signer would have signed and whether it applies; for
// includeEmpty, the field is instead signed with its empty value.
func (v *verifier) tryEach(name string, fix func(k, val string) (string, bool), explain func(k string) string, includeEmpty bool) {
	p := v.m.p
	var fields []string
	edits := map[string]string{}
	for k, val := range p {
		if nv, ok := fix(k, val); ok {
			fields = append(fields, k)
			edits[k] = nv
		}
	}
	if len(fields) == 0 {
		return
	}
	slices.Sort(fields)
	try := func(ks []string) []wxpay.SignType {
		if includeEmpty {
			signed, _ := sortedFields(p)
			names := append(slices.Clone(signed), ks...)
			slices.Sort(names)
			return v.matches(variant{p: p, names: names, key: v.key})
		}
		e := map[string]string{}
		for _, k := range ks {
			e[k] = edits[k]
		}
		return v.matches(variant{p: v.with(e), key: v.key})
	}
	for _, k := range fields {
		if ts := try([]string{k}); len(ts) > 0 {
			v.add(name, "%s%s", explain(k), v.typeNote(ts))
			return
		}
	}
	if len(fields) > 1 {
		if ts := try(fields); len(ts) > 0 {
			texts := make([]string, len(fields))
			for i, k := range fields {
				texts[i] = explain(k)
			}
			v.add(name, "%s%s", strings.Join(texts, "; "), v.typeNote(ts))
		}
	}
}

// wrongKey tries the other key: the sandbox key for a production message,
// the API key for a sandbox one.
func (v *verifier) wrongKey() {
	if v.sandbox && v.t == wxpay.SignTypeHMACSHA256 {
		v.add("wrong sign type for sandbox", "the sandbox signs and accepts MD5 only")
	}
	if v.other == "" {
		return
	}
	ts := v.matches(variant{p: v.m.p, key: v.other})
	switch {
	case len(ts) == 0:
	case v.sandbox:
		v.add("wrong key for sandbox", "signed with the production API key, but sandbox requests, responses and notifies are signed with sandbox_signkey (from getsignkey)%s", v.typeNote(ts))
	default:
		v.add("wrong key for sandbox", "signed with the sandbox key (sandbox_signkey): a sandbox message checked as production (add -sandbox), or a production request signed with the sandbox key%s", v.typeNote(ts))
	}
}

// inputOrder returns the signed fields in the order the input lists
// them, or nil when that is the sorted order anyway.
func (v *verifier) inputOrder() []string {
	var names []string
	for _, k := range v.m.order {
		if k != "sign" && v.m.p[k] != "" {
			names = append(names, k)
		}
	}
	if slices.IsSorted(names) {
		return nil
	}
	return names
}

// unexplained reports a mismatch no usual mistake reproduces: most often
// the key, so it says what is known about it, and lists what looks
// suspicious without being confirmed.
func (v *verifier) unexplained() {
	text := "the sign matches neither MD5 nor HMAC-SHA256 under " + v.keyName + ", and no single usual mistake reproduces it. " +
		"The v2 API key is the 32-character key set in the merchant platform (Account Center → API security), not the AppSecret and not the APIv3 key (or a field was changed after signing)"
	switch {
	case v.sandbox:
		text += "; in the sandbox, the key is the sandbox_signkey fetched with getsignkey, and it changes when fetched again"
	case v.other == "":
		text += "; if this is a sandbox message, it is signed with the sandbox key (sandbox_signkey), not the API key: give it with " + envSandboxKey + " or -sandbox-key-file and add -sandbox"
	default:
		text += "; the sandbox key given does not reproduce it either"
	}
	v.add("wrong key?", "%s", text)
	if n := len(v.key); n != 32 {
		v.add("key length", "%s has %d characters; v2 keys have 32", v.keyName, n)
	}
	var odd []string
	for k, val := range v.m.p {
		switch {
		case k == "sign":
		case strings.TrimSpace(val) != val:
			odd = append(odd, fmt.Sprintf("%s has edge whitespace", k))
		case urlEscape.MatchString(val):
			odd = append(odd, fmt.Sprintf("%s looks URL-encoded", k))
		}
	}
	if len(odd) > 0 {
		slices.Sort(odd)
		v.add("also suspicious (not confirmed)", "%s", strings.Join(odd, "; "))
	}
}
