package main

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wxpay-go/wxpay"
)

// The documented signing example's key, and another one for the sandbox.
const (
	apiKey     = "192006250b4c09247ec02edce69f6a2d"
	sandboxKey = "0123456789abcdef0123456789abcdef"
)

// a1 is the documented signing example's message (spec §2).
func a1() wxpay.Params {
	return wxpay.Params{"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000", "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA"}
}

const a1MD5 = "9A0A8659F005D6984697E2CA0A9CF3B7"

func mustSign(t *testing.T, p wxpay.Params, key string, st wxpay.SignType) string {
	t.Helper()
	s, err := wxpay.Sign(p, key, st)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// md5Of signs a hand-written canonical string, the way a mistaken signer
// would: independent of the command's own code.
func md5Of(canonical string) string { return fmt.Sprintf("%X", md5.Sum([]byte(canonical))) }

// kv writes p as key=value pairs joined by '&', in the given order.
func kv(p wxpay.Params, order ...string) string {
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = k + "=" + p[k]
	}
	return strings.Join(parts, "&")
}

func withFields(p wxpay.Params, kvs ...string) wxpay.Params {
	q := wxpay.Params{}
	for k, v := range p {
		q[k] = v
	}
	for i := 0; i+1 < len(kvs); i += 2 {
		q[kvs[i]] = kvs[i+1]
	}
	return q
}

type result struct {
	code           int
	stdout, stderr string
}

func runCmd(t *testing.T, stdin string, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut, func(k string) string { return env[k] })
	return result{code, out.String(), errOut.String()}
}

func apiEnv() map[string]string { return map[string]string{"WXPAY_CLI_APIKEY": apiKey} }

func bothEnv() map[string]string {
	return map[string]string{"WXPAY_CLI_APIKEY": apiKey, "WXPAY_CLI_SANDBOX_KEY": sandboxKey}
}

// TestVerifyMistakes runs verify on a message with each of the usual
// mistakes and checks that the diagnosis names it.
func TestVerifyMistakes(t *testing.T) {
	order := []string{"appid", "mch_id", "device_info", "body", "nonce_str", "sign"}
	hmacA1 := mustSign(t, a1(), apiKey, wxpay.SignTypeHMACSHA256)

	// Messages whose sign was computed with a mistake.
	emptySigned := withFields(a1(), "attach", "", "sign",
		md5Of("appid=wxd930ea5d5a258f4f&attach=&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&key="+apiKey))
	decoded := withFields(a1(), "notify_url", "https://example.com/pay/notify")
	encoded := withFields(decoded, "notify_url", "https%3A%2F%2Fexample.com%2Fpay%2Fnotify", "sign", mustSign(t, decoded, apiKey, wxpay.SignTypeMD5))
	raw := withFields(a1(), "body", "A&B 套餐")
	signedEncoded := withFields(raw, "sign", mustSign(t, withFields(raw, "body", "A%26B+%E5%A5%97%E9%A4%90"), apiKey, wxpay.SignTypeMD5))
	spaced := withFields(a1(), "body", "test  ", "sign", a1MD5)
	sandboxSigned := withFields(a1(), "sign", mustSign(t, a1(), sandboxKey, wxpay.SignTypeMD5))
	prodSigned := withFields(a1(), "sign", a1MD5)
	typeMismatch := withFields(a1(), "sign_type", "MD5", "sign", mustSign(t, withFields(a1(), "sign_type", "MD5"), apiKey, wxpay.SignTypeHMACSHA256))
	lower := withFields(a1(), "sign", strings.ToLower(a1MD5))
	notSigned := withFields(a1(), "sign_type", "HMAC-SHA256", "sign", hmacA1)
	noKey := withFields(a1(), "sign", md5Of("appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA"))
	unsorted := withFields(a1(), "sign", md5Of("appid=wxd930ea5d5a258f4f&mch_id=10000100&device_info=1000&body=test&nonce_str=ibuaiVcKdpRxkhJA&key="+apiKey))
	spacedLower := withFields(a1(), "body", "test ", "sign", strings.ToLower(a1MD5))

	tests := []struct {
		name  string
		input string
		env   map[string]string
		args  []string
		code  int
		want  []string // in stdout
	}{
		{"valid MD5", kv(withFields(a1(), "sign", a1MD5), order...), apiEnv(), nil, 0,
			[]string{"valid: MD5 sign (inferred from the sign's 32 hex digits)"}},
		{"valid HMAC-SHA256 without sign_type, XML", string(withFields(a1(), "sign", hmacA1).AppendXML(nil)), apiEnv(), nil, 0,
			[]string{"valid: HMAC-SHA256 sign (inferred from the sign's 64 hex digits)"}},
		{"valid with the sandbox key", kv(sandboxSigned, order...), bothEnv(), []string{"-sandbox"}, 0,
			[]string{"valid: MD5", "the sandbox key"}},
		{"empty field signed", kv(emptySigned, append(order, "attach")...), apiEnv(), nil, 1,
			[]string{"empty field signed: field attach is empty", "empty fields left out (1): attach"}},
		{"URL-encoded value in the message", kv(encoded, append(order, "notify_url")...), apiEnv(), nil, 1,
			[]string{"URL-encoded value: field notify_url is URL-encoded in the message"}},
		{"value URL-encoded before signing", "appid=wxd930ea5d5a258f4f\nmch_id=10000100\ndevice_info=1000\nbody=A&B 套餐\nnonce_str=ibuaiVcKdpRxkhJA\nsign=" + signedEncoded["sign"] + "\n",
			apiEnv(), nil, 1, []string{"URL-encoded value: field body", "was URL-encoded before signing"}},
		{"trailing spaces", "appid=wxd930ea5d5a258f4f\nmch_id=10000100\ndevice_info=1000\nbody=test  \nnonce_str=ibuaiVcKdpRxkhJA\nsign=" + spaced["sign"] + "\n",
			apiEnv(), nil, 1, []string{"leading/trailing spaces: field body", `"test  "`}},
		{"sandbox key used in production", kv(sandboxSigned, order...), bothEnv(), nil, 1,
			[]string{"wrong key for sandbox: signed with the sandbox key", "add -sandbox"}},
		{"API key used in the sandbox", kv(prodSigned, order...), bothEnv(), []string{"-sandbox"}, 1,
			[]string{"wrong key for sandbox: signed with the production API key"}},
		{"HMAC in the sandbox", kv(withFields(a1(), "sign", mustSign(t, a1(), sandboxKey, wxpay.SignTypeHMACSHA256)), order...), bothEnv(), []string{"-sandbox"}, 1,
			[]string{"INVALID: a valid HMAC-SHA256 sign, but the sandbox signs and accepts MD5 only"}},
		{"unknown key, no sandbox key given", kv(sandboxSigned, order...), apiEnv(), nil, 1,
			[]string{"wrong key?: the sign matches neither MD5 nor HMAC-SHA256 under the API key", "WXPAY_CLI_SANDBOX_KEY or -sandbox-key-file"}},
		{"sign_type mismatch", kv(typeMismatch, append(order, "sign_type")...), apiEnv(), nil, 1,
			[]string{"checked as: MD5 (the message's sign_type field)", "sign_type mismatch: the sign is a valid HMAC-SHA256 sign"}},
		{"sign_type mismatch with -sign-type", kv(prodSigned, order...), apiEnv(), []string{"-sign-type", "HMAC-SHA256"}, 1,
			[]string{"checked as: HMAC-SHA256 (-sign-type)", "sign_type mismatch: the sign is a valid MD5 sign"}},
		{"lower-case hex", kv(lower, order...), apiEnv(), nil, 1,
			[]string{"lower-case hex"}},
		{"trailing space and lower-case hex", kv(spacedLower, order...), apiEnv(), nil, 1,
			[]string{"leading/trailing spaces: field body", "lower-case hex"}},
		{"sign_type sent but not signed", kv(notSigned, append(order, "sign_type")...), apiEnv(), nil, 1,
			[]string{"sign_type not signed: the message carries sign_type=HMAC-SHA256"}},
		{"sign_type signed but not sent", kv(withFields(a1(), "sign", mustSign(t, withFields(a1(), "sign_type", "MD5"), apiKey, wxpay.SignTypeMD5)), order...), apiEnv(), nil, 1,
			[]string{"sign_type signed but not sent: the sign includes sign_type=MD5"}},
		{"&key= left out", kv(noKey, order...), apiEnv(), nil, 1,
			[]string{"key not appended"}},
		{"fields not sorted", kv(unsorted, order...), apiEnv(), nil, 1,
			[]string{"fields not sorted"}},
		{"no sign", kv(a1(), order[:5]...), apiEnv(), nil, 1,
			[]string{"INVALID: the message has no sign field"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, tt.input, tt.env, append([]string{"verify"}, tt.args...)...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			if strings.Contains(r.stdout+r.stderr, apiKey) || strings.Contains(r.stdout+r.stderr, sandboxKey) {
				t.Error("a key was printed")
			}
			// Only the mistake made is named: the unexplained verdict
			// never comes with a confirmed finding.
			if tt.code == 1 && strings.Contains(r.stdout, "wrong key?") && len(tt.want) > 0 && !strings.Contains(tt.want[0], "wrong key?") {
				t.Errorf("unexplained verdict for a known mistake:\n%s", r.stdout)
			}
		})
	}
}

func TestSign(t *testing.T) {
	r := runCmd(t, kv(withFields(a1(), "attach", ""), "appid", "mch_id", "device_info", "body", "nonce_str", "attach"), apiEnv(), "sign")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "form: key=value pairs joined by '&'\n" +
		"fields signed (5): appid, body, device_info, mch_id, nonce_str\n" +
		"empty fields left out (1): attach\n" +
		"canonical string (the API key shown as ***):\n" +
		"appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&key=***\n" +
		"MD5:         9A0A8659F005D6984697E2CA0A9CF3B7\n" +
		"HMAC-SHA256: 6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6\n" +
		"the message has no sign_type: WeChat expects MD5 unless the request declared HMAC-SHA256\n"
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}

	// The same message as XML and one pair per line, the key from a file
	// with a trailing newline.
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(apiKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{string(a1().AppendXML(nil)), "appid=wxd930ea5d5a258f4f\r\nmch_id=10000100\r\ndevice_info=1000\r\nbody=test\r\nnonce_str=ibuaiVcKdpRxkhJA\r\n"} {
		r := runCmd(t, in, nil, "sign", "-key-file", keyFile)
		if r.code != 0 || !strings.Contains(r.stdout, "MD5:         "+a1MD5) || r.stderr != "" {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	// A key with a stray space in the environment is used trimmed, with a note.
	r = runCmd(t, kv(a1(), "appid", "body"), map[string]string{"WXPAY_CLI_APIKEY": " " + apiKey}, "sign")
	if r.code != 0 || !strings.Contains(r.stderr, "whitespace") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestDigestAgreesWithSDK holds the command's own canonical string and
// digest, which the diagnoses vary, to the SDK's Sign.
func TestDigestAgreesWithSDK(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const chars = "abcXYZ019 _-&=%+中文"
	for i := 0; i < 200; i++ {
		p := wxpay.Params{}
		for j := rng.IntN(8); j >= 0; j-- {
			var k, v []rune
			for n := rng.IntN(6) + 1; n > 0; n-- {
				k = append(k, rune("abcdefgh_ABC"[rng.IntN(12)]))
			}
			for n := rng.IntN(10); n > 0; n-- {
				v = append(v, []rune(chars)[rng.IntN(len([]rune(chars)))])
			}
			p[string(k)] = string(v)
		}
		names, _ := sortedFields(p)
		for _, st := range signTypes {
			if got, want := digest(canonical(p, names, apiKey, false), apiKey, st), mustSign(t, p, apiKey, st); got != want {
				t.Fatalf("%v %s: digest %s, Sign %s", p, st, got, want)
			}
		}
	}
}

// The refund notify of spec appendix A9.
const a9ReqInfo = "WBzGpzQuNpcFxIlFjUUD9O1INQe1sr+wMG6wUR3vMtLc2oYUq/rZkvAzKWesMRgtDXXTmvwp6zzYLUD7V6zTHJ/VAboSB9P5YlRpsR9C7OjtHmdKaOfdNRsENuLsrufm6NTNo8J68Rlma1meV/He63zclJ9PUmK8v5LA1IWB/Coe9a2S0xhPoWcwzWjsosuxOoVnSIkA3MZsaEVHiFrFpkvHsN1Eha5L6GTG2Jz3xyTeakaK726IGU1OhiSDhHSLmmWGFx9kevi9nDIz11siFd4bkBWQeHdtuES+XZS9wITfCmudp1mJUFz6zWc1f+tReIVgW84XStyaniaekKdo/UjLE0OwfeK7ZuPK3nsMmiJNqKHr5X/xOzdFrxPXxbZFzXyp/dTdFPK+uRBH9fFq2A=="

func TestDecryptRefund(t *testing.T) {
	notify := `<xml><return_code>SUCCESS</return_code><appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[TeqClE3i0mvn3DrK]]></nonce_str><req_info><![CDATA[` + a9ReqInfo + `]]></req_info></xml>`
	tests := []struct {
		name  string
		input string
		env   map[string]string
		code  int
		want  []string
	}{
		{"bare req_info", a9ReqInfo + "\n", apiEnv(), 0, []string{"refund R001", "of order 20150806125346", "SUCCESS, 888 of 888 fen", "success_time=2015-08-06 12:55:01"}},
		{"whole notify", notify, apiEnv(), 0, []string{"out_refund_no=R001", "refund_status=SUCCESS"}},
		{"wrong key", notify, map[string]string{"WXPAY_CLI_APIKEY": sandboxKey}, 1, []string{"INVALID: req_info does not decrypt with the API key"}},
		{"sandbox key given as the API key, API key as the sandbox one", notify, map[string]string{"WXPAY_CLI_APIKEY": sandboxKey, "WXPAY_CLI_SANDBOX_KEY": apiKey}, 1,
			[]string{"does with the other key given: the notify was encrypted with the sandbox key"}},
		{"not base64", "not base64!", apiEnv(), 1, []string{"does not decrypt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, tt.input, tt.env, "decrypt-refund")
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
	if r := runCmd(t, `<xml><return_code>SUCCESS</return_code></xml>`, apiEnv(), "decrypt-refund"); r.code != 2 || !strings.Contains(r.stderr, "no req_info") {
		t.Errorf("XML without req_info: exit %d, %s", r.code, r.stderr)
	}
}

func TestBill(t *testing.T) {
	all, err := os.ReadFile("../../testdata/bill/all.csv")
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(all)
	zw.Close()
	gz := filepath.Join(t.TempDir(), "bill.csv.gz")
	if err := os.WriteFile(gz, z.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  []string
	}{
		{"trade bill", []string{"../../testdata/bill/all.csv"}, "", 0, []string{
			"trade bill: 27 columns, 3 rows",
			"REFUND   1     0.00 yuan (0 fen)    0.00 yuan (0 fen)    1.42 yuan (142 fen)  -0.00852 yuan",
			"all      3     6.01 yuan (601 fen)  7.01 yuan (701 fen)  1.42 yuan (142 fen)  0.03148 yuan",
			"fees               0.03148 yuan (3 fen rounded)  = sum of the rows"}},
		{"gzip file", []string{gz}, "", 0, []string{"trade bill: 27 columns, 3 rows", "settlement         6.01 yuan (601 fen)           = sum of the rows"}},
		{"stdin, legacy format", nil, mustRead(t, "../../testdata/bill/legacy.csv"), 0, []string{"trade bill: 24 columns, 2 rows", "order amount    0.02 yuan (2 fen)"}},
		{"fund flow", []string{"../../testdata/bill/fundflow.csv"}, "", 0, []string{"fund-flow bill: 11 columns, 3 rows", "the rows add up to the summary line"}},
		{"summary that does not add up", nil, strings.Replace(string(all), "`3,`6.01", "`3,`6.02", 1), 0, []string{"differs from the sum of the rows: 601"}},
		{"cut-off file", nil, string(all[:len(all)-200]), 1, nil},
		{"an error answer saved as a bill", []string{"../../testdata/bill/no_bill.xml"}, "", 1, nil},
		{"missing file", []string{"no/such/file"}, "", 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, tt.stdin, nil, append([]string{"bill"}, tt.args...)...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string // in stderr, or stdout for exit 0
	}{
		{"no command", apiEnv(), nil, 2, "usage: wxpay <command>"},
		{"help", nil, []string{"help"}, 0, "commands:"},
		{"command help", nil, []string{"verify", "-h"}, 0, ""},
		{"unknown command", apiEnv(), []string{"check"}, 2, `unknown command "check"`},
		{"no key", nil, []string{"verify"}, 2, "no API key: set WXPAY_CLI_APIKEY or use -key-file"},
		{"only the examples' key variable", map[string]string{"WXPAY_APIKEY": apiKey}, []string{"verify"}, 2,
			"no API key: set WXPAY_CLI_APIKEY or use -key-file (WXPAY_APIKEY is set, but this command reads WXPAY_CLI_APIKEY: it is the examples' variable"},
		{"only the former sandbox variable", map[string]string{"WXPAY_CLI_APIKEY": apiKey, "WXPAY_SANDBOX_KEY": sandboxKey}, []string{"verify", "-sandbox"}, 2,
			"-sandbox needs the sandbox key: set WXPAY_CLI_SANDBOX_KEY or use -sandbox-key-file (WXPAY_SANDBOX_KEY is set, but this command reads WXPAY_CLI_SANDBOX_KEY)"},
		{"key as a flag", nil, []string{"sign", "-key", apiKey}, 2, "never taken from the command line"},
		{"key as a flag with =", nil, []string{"verify", "--key=" + apiKey}, 2, "never taken from the command line"},
		{"unknown flag", apiEnv(), []string{"sign", "-md5"}, 2, "flag provided but not defined"},
		{"two files", apiEnv(), []string{"sign", "a", "b"}, 2, "one input file at most"},
		{"bad sign type", apiEnv(), []string{"verify", "-sign-type", "SHA1"}, 2, "-sign-type must be MD5 or HMAC-SHA256"},
		{"sandbox without its key", apiEnv(), []string{"verify", "-sandbox"}, 2, "-sandbox needs the sandbox key"},
		{"missing key file", nil, []string{"sign", "-key-file", "/no/such/key"}, 2, "API key file"},
		{"missing input file", apiEnv(), []string{"verify", "/no/such/message.xml"}, 2, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, "appid=x&sign=y", tt.env, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			out := r.stderr
			if tt.code == 0 {
				out = r.stdout + r.stderr
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
	for _, in := range []string{"", "\n\n", "just text", "a=1&a=2", "<xml><a>1</a>"} {
		if r := runCmd(t, in, apiEnv(), "verify"); r.code == 0 {
			t.Errorf("input %q: exit %d", in, r.code)
		}
	}
}

func TestParseMessageForms(t *testing.T) {
	want := wxpay.Params{"a": "1", "b": "x y ", "c": ""}
	for _, in := range []string{"a=1&b=x y &c=", "a=1\nb=x y \nc=\n", "\uFEFF# comment\r\na=1\r\nb=x y \r\nc=\r\n", "<xml><a>1</a><b><![CDATA[x y ]]></b><c></c></xml>"} {
		m, err := parseMessage([]byte(in))
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if diff := cmp.Diff(want, m.p); diff != "" {
			t.Errorf("%q (-want +got):\n%s", in, diff)
		}
		if diff := cmp.Diff([]string{"a", "b", "c"}, m.order); diff != "" {
			t.Errorf("%q order (-want +got):\n%s", in, diff)
		}
	}
}

// TestVerifyRedPackAndModeOne checks the two messages with rules of
// their own: red packets (MD5, no sign_type) and the mode-1 link (MD5
// over its five fields, values URL-encoded in the link).
func TestVerifyRedPackAndModeOne(t *testing.T) {
	redPack := wxpay.Params{"wxappid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "mch_billno": "10000100201501010000000001",
		"re_openid": "oxTWIuGaIt6gTKsQRLau2M0yL16E", "total_amount": "100", "nonce_str": "ibuaiVcKdpRxkhJA"}
	rpOrder := []string{"wxappid", "mch_id", "mch_billno", "re_openid", "total_amount", "nonce_str", "sign"}
	withType := withFields(redPack, "sign_type", "MD5")
	link := wxpay.Params{"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "product_id": "商品&1", "time_stamp": "1414488825", "nonce_str": "ibuaiVcKdpRxkhJA"}
	linkSign := mustSign(t, link, apiKey, wxpay.SignTypeMD5)
	linkText := "weixin://wxpay/bizpayurl?sign=" + linkSign + "&appid=wxd930ea5d5a258f4f&mch_id=10000100&product_id=" +
		url.QueryEscape("商品&1") + "&time_stamp=1414488825&nonce_str=ibuaiVcKdpRxkhJA"
	tests := []struct {
		name  string
		input string
		code  int
		want  string
	}{
		{"red packet", kv(withFields(redPack, "sign", mustSign(t, redPack, apiKey, wxpay.SignTypeMD5)), rpOrder...), 0,
			"valid: MD5 sign (a red-packet message is always MD5, without sign_type)"},
		{"red packet with sign_type", kv(withFields(withType, "sign", mustSign(t, withType, apiKey, wxpay.SignTypeMD5)), append(rpOrder, "sign_type")...), 1,
			"INVALID: a red-packet message with sign_type=MD5"},
		{"mode-1 link", linkText + "\n", 0, "valid: MD5 sign (a mode-1 link is always MD5"},
		{"mode-1 link, other product", strings.Replace(linkText, "product_id=", "product_id=x", 1), 1, "form: Native mode-1 link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, tt.input, apiEnv(), "verify")
			if r.code != tt.code || !strings.Contains(r.stdout, tt.want) {
				t.Errorf("exit %d, want %d; stdout lacks %q:\n%s%s", r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
		})
	}
}
