package ghost_test

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"testing"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// orderPages serves n orders with limit/offset, like the Ghost API.
func orderPages(n int, ignoreOffset bool) func(*http.Request) (*http.Response, error) {
	return func(r *http.Request) (*http.Response, error) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		offset, _ := strconv.Atoi(q.Get("offset"))
		if ignoreOffset {
			offset = 0
		}
		var docs []string
		for i := offset; i < n && i < offset+limit; i++ {
			docs = append(docs, fmt.Sprintf(`{"id":%d,"amount":%d}`, i+1, 100*(i+1)))
		}
		return reply(200, `{"docs":[`+strings.Join(docs, ",")+`]}`)(r)
	}
}

func TestOrdersAllWalksPages(t *testing.T) {
	tests := []struct {
		name         string
		total, limit int
		wantRequests []string
	}{
		{"short last page", 5, 2, []string{"limit=2", "limit=2&offset=2", "limit=2&offset=4"}},
		{"exact multiple ends on empty page", 4, 2, []string{"limit=2", "limit=2&offset=2", "limit=2&offset=4"}},
		{"empty list", 0, 2, []string{"limit=2"}},
		{"default page size", 3, 0, []string{"limit=100"}},
	}
	for _, tt := range tests {
		for _, prefetch := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/prefetch=%v", tt.name, prefetch), func(t *testing.T) {
				f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){orderPages(tt.total, false)}}
				c := newFakeClient(t, f)
				var opts []ghost.RequestOption
				if prefetch {
					opts = append(opts, ghost.WithPrefetch())
				}
				var ids []string
				for o, err := range c.Orders.All(t.Context(), &ghost.OrderListParams{Limit: tt.limit, CustomerID: "cus_1"}, opts...) {
					require.NoError(t, err)
					ids = append(ids, o.ID.String())
				}
				assert.Len(t, ids, tt.total)
				for i, id := range ids {
					assert.Equal(t, strconv.Itoa(i+1), id)
				}
				var got []string
				for _, r := range f.reqs {
					assert.Equal(t, "/api/v1/orders", r.URL.Path)
					assert.Equal(t, "cus_1", r.URL.Query().Get("customerId"))
					q := r.URL.Query()
					q.Del("customerId")
					got = append(got, q.Encode())
				}
				assert.Equal(t, tt.wantRequests, got)
			})
		}
	}
}

func TestPrefetchStopsWhenCallerBreaks(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){orderPages(1000, false)}}
	c := newFakeClient(t, f)
	n := 0
	for _, err := range c.Orders.All(t.Context(), &ghost.OrderListParams{Limit: 10}, ghost.WithPrefetch()) {
		require.NoError(t, err)
		n++
		if n == 15 {
			break
		}
	}
	assert.LessOrEqual(t, f.count(), 3, "at most the page in use and one prefetched")
}

func TestOrdersAllDetectsServerIgnoringOffset(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){orderPages(10, true)}}
	c := newFakeClient(t, f)
	n, last := drain(c.Orders.All(t.Context(), &ghost.OrderListParams{Limit: 3}), nil)
	require.ErrorIs(t, last, ghost.ErrPagingLoop)
	assert.Equal(t, 3, n, "the first page is yielded once")
	assert.Equal(t, 2, f.count(), "stops at the first repeated page")
}

func TestOrdersAllStopsWhenContextEnds(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){orderPages(1000, false)}}
	c := newFakeClient(t, f)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	n, last := drain(c.Orders.All(ctx, &ghost.OrderListParams{Limit: 10}), func(n int) {
		if n == 15 {
			cancel()
		}
	})
	require.ErrorIs(t, last, context.Canceled)
	assert.Equal(t, 15, n)
	assert.Equal(t, 2, f.count())
}

func TestOrdersAllStopsWhenCallerBreaks(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){orderPages(1000, false)}}
	c := newFakeClient(t, f)
	n := 0
	for _, err := range c.Orders.All(t.Context(), &ghost.OrderListParams{Limit: 10}) {
		require.NoError(t, err)
		n++
		if n == 10 {
			break
		}
	}
	assert.Equal(t, 1, f.count())
}

func TestOrdersAllYieldsPageError(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){
		orderPages(10, false),
		reply(404, `{"message":"gone","status":404,"error":"Not Found"}`),
	}}
	c := newFakeClient(t, f)
	var n int
	var last error
	for _, err := range c.Orders.All(t.Context(), &ghost.OrderListParams{Limit: 3}) {
		if err != nil {
			last = err
			continue
		}
		n++
	}
	assert.Equal(t, 3, n)
	require.ErrorIs(t, last, ghost.ErrNotFound)
}

func TestListPageMeta(t *testing.T) {
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){orderPages(5, false)}}
	c := newFakeClient(t, f)
	p, err := c.Orders.List(t.Context(), &ghost.OrderListParams{Limit: 2, Offset: 2})
	require.NoError(t, err)
	assert.Len(t, p.Items, 2)
	assert.Equal(t, ghost.Some(2), p.Meta.Offset)
	assert.False(t, p.Meta.Total.IsSet(), "the Ghost API promises no total")
}

func TestPageNumberWalkDetectsServerIgnoringPage(t *testing.T) {
	// A Komoju-style list that says there are 5 pages but always sends page 1:
	// decoded through the tolerant envelope parser, not the Ghost fast path.
	f := &fakeAPI{replies: []func(*http.Request) (*http.Response, error){reply(200,
		`{"resource":"list","total":10,"page":1,"per_page":2,"last_page":5,"data":[{"id":"a"},{"id":"b"}]}`)}}
	c := newFakeClient(t, f)
	var n int
	var last error
	for _, err := range c.Komoju.Customers.All(t.Context(), &ghost.KomojuListParams{PerPage: 2}) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	require.ErrorIs(t, last, ghost.ErrPagingLoop)
	assert.Equal(t, 2, n)
	assert.Equal(t, 2, f.count())
	assert.Equal(t, "2", f.reqs[1].URL.Query().Get("page"), "the second request asked for page 2")
}

// drain ranges over seq until its first error, which it returns, or its
// end, calling each (when not nil) with the count after every item.
func drain[T any](seq iter.Seq2[T, error], each func(n int)) (n int, err error) {
	for _, err := range seq {
		if err != nil {
			return n, err
		}
		n++
		if each != nil {
			each(n)
		}
	}
	return n, nil
}
