package wxlogin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDev(t *testing.T) {
	a, err := Dev(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Dev(context.Background(), "alice")
	c, _ := Dev(context.Background(), "bob")
	if a != b || a == c || !strings.HasPrefix(a, "dev_") || len(a) != 28 {
		t.Errorf("Dev: alice→%q twice→%q bob→%q", a, b, c)
	}
	if _, err := Dev(context.Background(), ""); !errors.Is(err, ErrBadCode) {
		t.Errorf("Dev(\"\") error = %v; want ErrBadCode", err)
	}
}

func TestJSCode2Session(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/sns/jscode2session" || q.Get("appid") != "wxapp" || q.Get("secret") != "s3cret" ||
			q.Get("grant_type") != "authorization_code" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		switch q.Get("js_code") {
		case "good":
			w.Write([]byte(`{"openid":"oUser1","session_key":"k"}`))
		case "used":
			w.Write([]byte(`{"errcode":40163,"errmsg":"code been used"}`))
		case "busy":
			w.Write([]byte(`{"errcode":-1,"errmsg":"system error"}`))
		default:
			w.Write([]byte(`{}`))
		}
	}))
	defer srv.Close()
	resolve := JSCode2Session(srv.Client(), srv.URL, "wxapp", "s3cret")
	ctx := context.Background()
	if id, err := resolve(ctx, "good"); err != nil || id != "oUser1" {
		t.Errorf("good code: %q, %v", id, err)
	}
	if _, err := resolve(ctx, "used"); !errors.Is(err, ErrBadCode) {
		t.Errorf("used code: %v; want ErrBadCode", err)
	}
	if _, err := resolve(ctx, "busy"); err == nil || errors.Is(err, ErrBadCode) {
		t.Errorf("system error: %v; want a non-code error", err)
	}
	if _, err := resolve(ctx, "empty"); err == nil {
		t.Error("answer without openid: no error")
	}
	if _, err := resolve(ctx, ""); !errors.Is(err, ErrBadCode) {
		t.Errorf("empty code: %v; want ErrBadCode", err)
	}
}
