package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxpay-go/wxpay/examples/shop/internal/api"
	"github.com/wxpay-go/wxpay/examples/shop/internal/pay"
	"github.com/wxpay-go/wxpay/examples/shop/internal/store"
	"github.com/wxpay-go/wxpay/examples/shop/internal/wxlogin"
	"github.com/wxpay-go/wxpay/wxpaytest"
)

// The suite runs against SQLite always, and against PostgreSQL too when
// SHOP_TEST_POSTGRES_DSN names a database (each test gets its own schema).
const postgresEnv = "SHOP_TEST_POSTGRES_DSN"

const adminToken = "admin-secret"

// eachBackend runs test once per database.
func eachBackend(t *testing.T, test func(t *testing.T, sh *shop)) {
	t.Run("sqlite", func(t *testing.T) {
		test(t, newShop(t, filepath.Join(t.TempDir(), "shop.db")))
	})
	if base := postgresBase(); base != "" {
		t.Run("postgres", func(t *testing.T) {
			test(t, newShop(t, postgresSchema(t, base)))
		})
	}
}

func postgresBase() string { return os.Getenv(postgresEnv) }

// postgresSchema creates an empty schema for one test and returns a DSN
// whose search_path is that schema.
func postgresSchema(t *testing.T, base string) string {
	t.Helper()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "shop_test_" + hex.EncodeToString(b)
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		t.Fatalf("postgres: %v", err)
	}
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// shop is a running shop: the api.Server behind a fixed httptest front, an
// in-process WeChat Pay, and a staff user (uid 1) for write-offs.
type shop struct {
	t       *testing.T
	dsn     string
	dev     *pay.Dev
	front   *httptest.Server
	handler atomic.Pointer[http.Handler]
	st      *store.Store
	logs    *syncBuffer

	staffToken string

	// configure, if set, adjusts each server's Config; background runs
	// each server's background loops (expiry, reconciliation, printing)
	// until it is replaced or the test ends.
	configure func(*api.Config)
	// intercept, if set, sees each request first and answers it itself
	// by returning true: a notify lost on the way, say.
	intercept  atomic.Pointer[func(http.ResponseWriter, *http.Request) bool]
	background bool
	quiet      bool // log warnings only: a load test makes much debug
	server     *api.Server
	stopBG     func()
	policy     *store.Policy
	devOpts    []wxpaytest.Option
}

func newShop(t *testing.T, dsn string) *shop {
	t.Helper()
	return newShopWith(t, dsn, nil)
}

// newShopWith is newShop with setup run on the shop before it starts.
func newShopWith(t *testing.T, dsn string, setup func(*shop)) *shop {
	t.Helper()
	sh := &shop{t: t, dsn: dsn, logs: &syncBuffer{}}
	if setup != nil {
		setup(sh)
	}
	t.Cleanup(func() {
		if sh.stopBG != nil {
			sh.stopBG()
		}
		if sh.st != nil {
			sh.st.Close()
		}
		if t.Failed() {
			t.Logf("shop log:\n%s", sh.logs.String())
		}
	})
	sh.front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := sh.intercept.Load(); f != nil && (*f)(w, r) {
			return
		}
		(*sh.handler.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(sh.front.Close)
	dev, err := pay.NewDev(sh.front.URL, sh.devOpts...)
	if err != nil {
		t.Fatal(err)
	}
	sh.dev = dev
	t.Cleanup(dev.Close)
	sh.start()
	sh.staffToken, _ = sh.login("staff")
	return sh
}

// start opens the store and builds a new server on it.
func (sh *shop) start() {
	sh.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, sh.dsn)
	if err != nil {
		sh.t.Fatal(err)
	}
	if _, err := st.SeedDemo(ctx); err != nil {
		sh.t.Fatal(err)
	}
	if sh.policy != nil {
		st.SetPolicy(*sh.policy)
	}
	sh.st = st
	cfg := api.Config{
		Store:              st,
		Payments:           sh.dev,
		Login:              wxlogin.Dev,
		DevConfirm:         sh.dev.Confirm,
		DevConfirmSilently: sh.dev.ConfirmWithoutNotify,
		AdminToken:         adminToken,
		PublicURL:          sh.front.URL,
		StaffUIDs:          []int64{1},
		Logger:             slog.New(slog.NewTextHandler(sh.logs, &slog.HandlerOptions{Level: sh.logLevel()})),
	}
	if sh.configure != nil {
		sh.configure(&cfg)
	}
	srv := api.New(cfg)
	sh.server = srv
	var h http.Handler = srv
	sh.handler.Store(&h)
	if sh.background {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); srv.Run(ctx) }()
		sh.stopBG = func() { cancel(); <-done }
	}
}

func (sh *shop) logLevel() slog.Level {
	if sh.quiet {
		return slog.LevelWarn
	}
	return slog.LevelDebug
}

// restart closes the store and starts again on the same database, as a
// process restart would: nothing survives but the database.
func (sh *shop) restart() {
	sh.t.Helper()
	if sh.stopBG != nil {
		sh.stopBG()
		sh.stopBG = nil
	}
	if err := sh.st.Close(); err != nil {
		sh.t.Fatal(err)
	}
	sh.start()
}

// reply is the api工厂 envelope.
type reply struct {
	Code int             `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

// do sends an api工厂 call the way apifm-wxapi does: form-encoded, with
// the parameters in the query for GET and in the body for POST.
func (sh *shop) do(method, path string, kv ...string) reply {
	sh.t.Helper()
	form := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	u := sh.front.URL + "/tz" + path
	var body io.Reader
	if method == http.MethodGet {
		u += "?" + form.Encode()
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		sh.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		sh.t.Fatalf("%s %s: HTTP %d %s", method, path, resp.StatusCode, raw)
	}
	var r reply
	if err := json.Unmarshal(raw, &r); err != nil {
		sh.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
	}
	return r
}

func (sh *shop) post(path string, kv ...string) reply {
	sh.t.Helper()
	return sh.do(http.MethodPost, path, kv...)
}
func (sh *shop) get(path string, kv ...string) reply {
	sh.t.Helper()
	return sh.do(http.MethodGet, path, kv...)
}

// ok checks that r succeeded and decodes its data into v (if not nil).
func (sh *shop) ok(r reply, v any) {
	sh.t.Helper()
	if r.Code != 0 {
		sh.t.Fatalf("code %d %q; want 0", r.Code, r.Msg)
	}
	if v != nil {
		if err := json.Unmarshal(r.Data, v); err != nil {
			sh.t.Fatalf("data %s: %v", r.Data, err)
		}
	}
}

// code checks the code of r.
func (sh *shop) code(r reply, want int, what string) {
	sh.t.Helper()
	if r.Code != want {
		sh.t.Errorf("%s: code %d %q; want %d", what, r.Code, r.Msg, want)
	} else if want != 0 && r.Msg == "" {
		sh.t.Errorf("%s: code %d with an empty msg", what, r.Code)
	}
}

// admin calls the admin API.
func (sh *shop) admin(method, path string, kv ...string) (int, reply) {
	sh.t.Helper()
	return sh.adminAs(adminToken, method, path, kv...)
}

func (sh *shop) adminAs(token, method, path string, kv ...string) (int, reply) {
	sh.t.Helper()
	form := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	req, _ := http.NewRequest(method, sh.front.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		sh.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r reply
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &r); err != nil {
		sh.t.Fatalf("%s %s: HTTP %d, not JSON: %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, r
}

// login authorizes a buyer by a wx.login code and returns the token and uid.
func (sh *shop) login(code string) (string, int64) {
	sh.t.Helper()
	var d struct {
		Token string `json:"token"`
		UID   int64  `json:"uid"`
	}
	sh.ok(sh.post("/user/wxapp/authorize", "code", code), &d)
	return d.Token, d.UID
}

// eventually polls cond until it holds or 10 s pass.
func (sh *shop) eventually(what string, cond func() bool) {
	sh.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			sh.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
