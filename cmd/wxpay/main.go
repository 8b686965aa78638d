// Command wxpay signs, verifies and decrypts WeChat Pay v2 messages and
// summarises bill files, for the day a signature fails and the only clue
// is "签名错误".
//
// Usage:
//
//	wxpay sign [-key-file F] [-sandbox] [file]
//	wxpay verify [-key-file F] [-sandbox-key-file F] [-sandbox] [-sign-type T] [file]
//	wxpay decrypt-refund [-key-file F] [file]
//	wxpay bill [file]
//
// A message is read from file, or from standard input, as XML, as
// key=value pairs joined by '&', as one key=value pair per line, or as a
// Native mode-1 link (weixin://wxpay/bizpayurl?…, whose values are
// URL-decoded, as WeChat signs them); the form is detected. Red-packet
// messages (wxappid, or mch_billno with re_openid) are checked as MD5
// without sign_type, WeChat's rule for them. Values are taken exactly as written: no URL decoding,
// no trimming, as WeChat signs them.
//
// The API key comes from the WXPAY_CLI_APIKEY environment variable or
// from the file named by -key-file, never from a flag value, which would
// end up in shell history and process lists. The sandbox key
// (sandbox_signkey) likewise comes from WXPAY_CLI_SANDBOX_KEY or
// -sandbox-key-file. The variables are the command's own: WXPAY_APIKEY,
// which the examples read, is what switches them to the real API.
//
// The exit status is 0 when the message is valid or the work is done, 1
// when the message is invalid, and 2 for a usage error.
//
// Install with:
//
//	go install github.com/wxpay-go/wxpay/cmd/wxpay@latest
package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/wxpay-go/wxpay"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// Exit statuses.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

const usage = `usage: wxpay <command> [flags] [file]

commands:
  sign            print the canonical string and both signatures of a message
  verify          check a message's sign; explain a mismatch
  decrypt-refund  decrypt the req_info of a refund notify
  bill            summarise a downloaded trade or fund-flow bill

A message is XML, key=value pairs joined by '&', or one key=value per line,
read from file or standard input. The API key is read from $WXPAY_CLI_APIKEY
or the file given with -key-file, never from a flag value; the sandbox key
from $WXPAY_CLI_SANDBOX_KEY or -sandbox-key-file.

Exit status: 0 valid/done, 1 invalid, 2 usage error.
Run 'wxpay <command> -h' for a command's flags.
`

// run is the whole command, with its environment passed in so that tests
// can run it in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmds := map[string]func(*env, []string) int{
		"sign":           cmdSign,
		"verify":         cmdVerify,
		"decrypt-refund": cmdDecryptRefund,
		"bill":           cmdBill,
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "wxpay: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	e := &env{name: args[0], stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	return cmd(e, args[1:])
}

// env is what a command runs with.
type env struct {
	name           string
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// errUsage marks an error that is the caller's: exit status 2.
var errUsage = errors.New("usage")

// usageError is an error that exits with status 2.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// fail reports err and returns its exit status.
func (e *env) fail(err error) int {
	fmt.Fprintf(e.stderr, "wxpay %s: %v\n", e.name, err)
	if errors.Is(err, errUsage) {
		return exitUsage
	}
	return exitInvalid
}

// flags returns a FlagSet for the command that writes to stderr.
func (e *env) flags(synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("wxpay "+e.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: wxpay %s %s\n", e.name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses the command's flags and returns the input file argument
// ("" for standard input). A flag that looks like an attempt to pass the
// key itself gets its own explanation.
func (e *env) parse(fs *flag.FlagSet, args []string) (string, error) {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "key" || name == "apikey" || name == "api-key" || name == "sandbox-key") {
			return "", usageError("keys are never taken from the command line (shell history, process lists): set " + envAPIKey + " or use -key-file")
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", errHelp
		}
		return "", usageError("%v", err)
	}
	switch fs.NArg() {
	case 0:
		return "", nil
	case 1:
		return fs.Arg(0), nil
	}
	return "", usageError("one input file at most, got %d arguments", fs.NArg())
}

// errHelp is -h: usage printed, exit 0.
var errHelp = errors.New("help requested")

// exit reports err and returns the exit status: 0 for -h, which has
// printed the usage.
func (e *env) exit(err error) int {
	if errors.Is(err, errHelp) {
		return exitOK
	}
	return e.fail(err)
}

// keyedInput is what sign, verify and decrypt-refund start from.
type keyedInput struct {
	data    []byte
	key     string // the key to use
	other   string // the other key (sandbox or API), "" if not given
	keyName string
}

// load parses the flags, runs check (for flags of the command's own),
// and loads the keys and the input message.
func (e *env) load(fs *flag.FlagSet, k *keyFlags, args []string, check func() error) (*keyedInput, error) {
	file, err := e.parse(fs, args)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(); err != nil {
			return nil, err
		}
	}
	in := &keyedInput{}
	if in.key, in.other, in.keyName, err = k.keys(e); err != nil {
		return nil, err
	}
	if in.data, err = e.readInput(file); err != nil {
		return nil, err
	}
	return in, nil
}

// open returns the input: the named file, or standard input.
func (e *env) open(file string) (io.ReadCloser, error) {
	if file == "" || file == "-" {
		return io.NopCloser(e.stdin), nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, usageError("%v", err)
	}
	return f, nil
}

// readInput reads a whole message, bounded like the SDK bounds messages.
func (e *env) readInput(file string) ([]byte, error) {
	r, err := e.open(file)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, wxpay.MaxBodySize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > wxpay.MaxBodySize {
		return nil, usageError("input larger than %d bytes", wxpay.MaxBodySize)
	}
	return data, nil
}

// The environment variables the keys are read from. The API key's is not
// WXPAY_APIKEY, which the examples read: exporting a key for this command
// must not also switch examples/quickstart or the shop from wxpaytest to
// the real API. The sandbox key's carries the same prefix, so that the
// command's variables are told apart at a glance.
const (
	envAPIKey     = "WXPAY_CLI_APIKEY"
	envSandboxKey = "WXPAY_CLI_SANDBOX_KEY"
)

// keySource is where a key comes from: an environment variable or a file
// named by a flag.
type keySource struct {
	envVar string
	file   *string
	label  string // e.g. "API key"
}

// load returns the key, or "" when neither source has it. A key never
// contains whitespace, so a trailing newline in a key file is dropped;
// edge whitespace in the environment variable is dropped with a note,
// since a pasted key with a space is itself a reason for failing signs.
func (k keySource) load(e *env) (string, error) {
	var key, from string
	if k.file != nil && *k.file != "" {
		b, err := os.ReadFile(*k.file)
		if err != nil {
			return "", usageError("%s file: %v", k.label, err)
		}
		key, from = string(b), *k.file
		key = strings.TrimRight(key, "\r\n")
	} else {
		key, from = e.getenv(k.envVar), "$"+k.envVar
	}
	if t := strings.TrimSpace(key); t != key {
		fmt.Fprintf(e.stderr, "note: the %s in %s has leading or trailing whitespace; it was removed\n", k.label, from)
		key = t
	}
	return key, nil
}

// apiKey returns the API key or a usage error naming its sources.
func (e *env) apiKey(file *string) (string, error) {
	key, err := keySource{envVar: envAPIKey, file: file, label: "API key"}.load(e)
	if err != nil {
		return "", err
	}
	if key == "" {
		return "", usageError("no API key: set %s or use -key-file%s", envAPIKey,
			e.notRead("WXPAY_APIKEY", envAPIKey, "it is the examples' variable, and switches them to the real API"))
	}
	return key, nil
}

// notRead explains, when the variable name is set, that the command reads
// another one instead: a user who exported the examples' variable (or the
// command's former one) would otherwise not see why the key is missing.
func (e *env) notRead(name, read, why string) string {
	if e.getenv(name) == "" {
		return ""
	}
	s := " (" + name + " is set, but this command reads " + read
	if why != "" {
		s += ": " + why
	}
	return s + ")"
}

// sandboxKey returns the sandbox key, or "" if none is given.
func (e *env) sandboxKey(file *string) (string, error) {
	return keySource{envVar: envSandboxKey, file: file, label: "sandbox key"}.load(e)
}

// message is a parsed input message.
type message struct {
	p     wxpay.Params
	order []string // field names in input order
	form  string   // how it was written

	modeOne bool // a Native mode-1 link: MD5, no sign_type
}

// redPack reports whether m is a red-packet request or answer: signed
// with MD5, and WeChat refuses sign_type in it.
func (m *message) redPack() bool {
	_, wxappid := m.p["wxappid"]
	_, billNo := m.p["mch_billno"]
	return wxappid || billNo && m.p["re_openid"] != ""
}

// parseMessage reads XML or key=value input; the form is detected.
func parseMessage(data []byte) (*message, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '<' {
		p, err := wxpay.ParseXML(data)
		if err != nil {
			return nil, err
		}
		return &message{p: p, order: xmlOrder(data), form: "XML"}, nil
	}
	text := strings.TrimRight(string(data), "\r\n")
	if link, ok := strings.CutPrefix(strings.TrimSpace(text), modeOneLink); ok {
		return parseModeOneLink(link)
	}
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSuffix(l, "\r")
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		lines = append(lines, l)
	}
	m := &message{p: wxpay.Params{}}
	switch len(lines) {
	case 0:
		return nil, usageError("empty message")
	case 1:
		m.form = "key=value pairs joined by '&'"
		lines = strings.Split(lines[0], "&")
	default:
		m.form = "one key=value pair per line"
	}
	for _, l := range lines {
		k, v, ok := strings.Cut(l, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t<>") {
			return nil, usageError("%q is not a key=value pair", l)
		}
		if _, dup := m.p[k]; dup {
			return nil, usageError("field %s appears twice", k)
		}
		m.p[k] = v
		m.order = append(m.order, k)
	}
	return m, nil
}

// modeOneLink starts the content of a Native mode-1 QR code.
const modeOneLink = "weixin://wxpay/bizpayurl?"

// parseModeOneLink reads the query of a mode-1 link: its values are
// URL-encoded in the link and signed decoded.
func parseModeOneLink(query string) (*message, error) {
	m := &message{p: wxpay.Params{}, form: "Native mode-1 link (" + modeOneLink + "…)", modeOne: true}
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || dk == "" {
			return nil, usageError("%q is not a key=value pair of a mode-1 link", kv)
		}
		if _, dup := m.p[dk]; dup {
			return nil, usageError("field %s appears twice", dk)
		}
		m.p[dk] = dv
		m.order = append(m.order, dk)
	}
	return m, nil
}

// xmlOrder returns the field names of a flat XML message in document
// order; ParseXML has already vouched for its shape.
func xmlOrder(data []byte) []string {
	d := xml.NewDecoder(bytes.NewReader(data))
	var names []string
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return names
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 {
				names = append(names, t.Name.Local)
			}
		case xml.EndElement:
			depth--
		}
	}
}

// sortedFields returns the names that are signed: non-empty, not "sign",
// sorted; and the empty ones left out.
func sortedFields(p wxpay.Params) (signed, empty []string) {
	for k, v := range p {
		switch {
		case k == "sign":
		case v == "":
			empty = append(empty, k)
		default:
			signed = append(signed, k)
		}
	}
	slices.Sort(signed)
	slices.Sort(empty)
	return signed, empty
}
