package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestCallRefusesOtherHosts: Endpoint.Call sends a full URL (a next-page
// link) only to the base's scheme and host; any other is refused with an
// *OtherHostError and never reaches the other server.
func TestCallRefusesOtherHosts(t *testing.T) {
	var foreign atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign.Add(1)
		w.Write([]byte(`{}`))
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{}`))
	}))
	defer api.Close()
	ep := Endpoint{HC: api.Client(), Base: api.URL + "/graph"}

	for _, link := range []string{
		other.URL + "/graph/v1.0/groups?page=2",
		// Same address, another name.
		strings.Replace(api.URL, "127.0.0.1", "localhost", 1) + "/graph/v1.0/groups",
		// Same host, another scheme.
		strings.Replace(api.URL, "http://", "https://", 1) + "/graph/v1.0/groups",
		// A user in the link.
		strings.Replace(api.URL, "://", "://u:p@", 1) + "/graph/v1.0/groups",
	} {
		_, err := ep.Call(context.Background(), http.MethodGet, link, nil, nil, nil)
		var oh *OtherHostError
		if !errors.As(err, &oh) || !errors.Is(err, ErrOtherHost) || !strings.Contains(err.Error(), "another host") {
			t.Errorf("GET %s: err = %v, want an *OtherHostError", link, err)
		}
		if err != nil && strings.Contains(err.Error(), ":p@") {
			t.Errorf("GET %s: the error shows the password: %v", link, err)
		}
	}
	if n := foreign.Load(); n != 0 {
		t.Fatalf("the other host got %d requests", n)
	}
	// The API's own host, as a full URL and as a path, is fine.
	for _, u := range []string{api.URL + "/graph/v1.0/groups?page=2", "/v1.0/groups"} {
		if _, err := ep.Call(context.Background(), http.MethodGet, u, nil, nil, nil); err != nil {
			t.Errorf("GET %s: %v", u, err)
		}
	}
}
