package ghost

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/ghostanalytics/ghost-go/internal/wire"
)

// Page is one page of a list and what the API said about the rest.
type Page[T any] struct {
	Items []T
	Meta  PageMeta

	fingerprint uint64 // hash of the items' bytes, to spot a repeated page

	// next fetches the page after this one; nil when no page follows. Each
	// List sets it by its part's paging style.
	next func(ctx context.Context) (*Page[T], error)
}

// ErrNoMorePages is returned by Page.Next on the last page.
var ErrNoMorePages = errors.New("ghost: no more pages")

// HasMore reports whether another page follows this one, by the paging style
// of the list's part: under Ghost's limit/offset a full page (as many items
// as the limit asked for; any non-empty page when no limit was given) says
// more may follow, and the next page may then be empty; under Komoju and
// Checkout the page number against the last page (or a full page when the
// server does not say); under Spark a next_page link.
func (p *Page[T]) HasMore() bool { return p != nil && p.next != nil }

// Next fetches the page after this one with the same parameters and options,
// or returns ErrNoMorePages when HasMore is false:
//
//	for page, err := client.Customers.List(ctx, nil); ; page, err = page.Next(ctx) {
//		if err != nil { … }
//		use(page.Items)
//		if !page.HasMore() { break }
//	}
func (p *Page[T]) Next(ctx context.Context) (*Page[T], error) {
	if !p.HasMore() {
		return nil, ErrNoMorePages
	}
	return p.next(ctx)
}

// withNext makes next the page's Next when, by the paging style of s's
// part, another page follows; size is the page size the request asked for
// (0 when it left it to the server).
func withNext[T any](s *service, p *Page[T], size int, next func(ctx context.Context) (*Page[T], error)) {
	p.next = nil
	if moreAfter(s.spec().paging, p, size) {
		p.next = next
	}
}

// moreAfter reports whether a page of a list paged by style is followed by
// another: size is the page size the request asked for (0 when it left it to
// the server).
func moreAfter[T any](style paging, p *Page[T], size int) bool {
	n := len(p.Items)
	switch style {
	case pagingOffset:
		if size > 0 {
			return n >= size
		}
		return n > 0
	case pagingPage:
		if last, ok := p.Meta.LastPage.Get(); ok {
			if cur, ok := p.Meta.Page.Get(); ok {
				return cur < last && n > 0
			}
		}
		if size = p.Meta.PerPage.Or(size); size > 0 {
			return n >= size
		}
		return n > 0
	case pagingNext:
		return p.Meta.NextURL != "" && n > 0
	}
	return false
}

// PageMeta is a list's paging metadata, whatever the part. Fields the
// response did not carry are unset.
type PageMeta struct {
	Total    Opt[int] // items in the whole list
	Page     Opt[int] // this page's number, from 1 (page paging styles)
	PerPage  Opt[int] // page size the server used
	LastPage Opt[int] // number of the last page
	Offset   Opt[int] // offset of the first item (limit/offset paging)
	NextURL  string   // Spark next_page
	PrevURL  string   // Spark previous_page
}

func metaOf(m wire.Meta) PageMeta {
	opt := func(v int64, ok bool) Opt[int] {
		if !ok {
			return Opt[int]{}
		}
		return Some(int(v))
	}
	return PageMeta{
		Total:    opt(m.Total, m.HasTotal),
		Page:     opt(m.Page, m.HasPage),
		PerPage:  opt(m.PerPage, m.HasPerPage),
		LastPage: opt(m.LastPage, m.HasLastPage),
		NextURL:  m.Next,
		PrevURL:  m.Prev,
	}
}

// pager walks a list: fetch gets the page at the cursor, advance moves the
// cursor past a page and reports whether another page should exist.
type pager[T any] struct {
	fetch   func(ctx context.Context) (*Page[T], error)
	advance func(p *Page[T]) bool
}

// all yields every item of every page. It stops at an empty page, at the
// page advance calls the last, at the first error (yielded), when the caller
// stops, and when ctx ends; a server that sends the same page twice in a row
// yields ErrPagingLoop instead of looping. With WithPrefetch among opts, the
// next page is fetched while the caller works through the current one.
func (pg pager[T]) all(ctx context.Context, opts []RequestOption) iter.Seq2[T, error] {
	var cc callConfig
	cc.apply(opts)
	return func(yield func(T, error) bool) {
		var zero T
		if ctx == nil {
			yield(zero, invalidParams("", "nil context"))
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		type result struct {
			p   *Page[T]
			err error
		}
		var prev uint64
		p, err := pg.fetch(ctx)
		for n := 0; ; n++ {
			if err == nil {
				err = ctx.Err()
			}
			if err != nil {
				yield(zero, err)
				return
			}
			if len(p.Items) == 0 {
				return
			}
			if n > 0 && p.fingerprint == prev {
				yield(zero, fmt.Errorf("%w (page %d repeats page %d)", ErrPagingLoop, n+1, n))
				return
			}
			prev = p.fingerprint
			more := pg.advance(p)
			var next chan result
			if more && cc.prefetch {
				next = make(chan result, 1)
				go func() {
					np, err := pg.fetch(ctx)
					next <- result{np, err}
				}()
			}
			for _, it := range p.Items {
				if err := ctx.Err(); err != nil {
					yield(zero, err)
					return
				}
				if !yield(it, nil) {
					return
				}
			}
			if !more {
				return
			}
			if next != nil {
				r := <-next
				p, err = r.p, r.err
			} else {
				p, err = pg.fetch(ctx)
			}
		}
	}
}

// cursor is where a list's parameters start it and how large a page they
// ask for: the offset (limit/offset paging) or the page number (page
// paging), and the limit or per-page size (0 when left to the server).
type cursor struct {
	at   *int
	size int
}

// advance moves c past page p of a list paged by style, and reports whether
// another page follows.
func advance[T any](style paging, c cursor, p *Page[T]) bool {
	if !moreAfter(style, p, c.size) {
		return false
	}
	switch style {
	case pagingOffset:
		*c.at += len(p.Items)
	case pagingPage:
		*c.at = p.Meta.Page.Or(max(*c.at, 1)) + 1
	}
	return true
}

// listParams are a list's parameters: they check themselves (and put
// themselves in their wire form) and point at their cursor.
type listParams[Q any] interface {
	*Q
	validate() error
	cursor() cursor
}

// list fetches the page of op's list that params select (nil: the first
// page, of the server's size) and gives it its Next by the part's paging.
func list[T, Q any, P listParams[Q]](ctx context.Context, s *service, op *operation, params P, opts []RequestOption) (*Page[T], error) {
	var q Q
	if params != nil {
		q = *params
	}
	if err := P(&q).validate(); err != nil {
		return nil, err
	}
	page, err := listPage[T](ctx, s, &request{op: op, query: &q}, opts)
	if err != nil {
		return nil, err
	}
	style, cur := s.spec().paging, P(&q).cursor()
	if style == pagingOffset {
		page.Meta.Offset = Some(*cur.at)
	}
	withNext(s, page, cur.size, func(ctx context.Context) (*Page[T], error) {
		n := q
		advance(style, P(&n).cursor(), page)
		return list[T](ctx, s, op, P(&n), opts)
	})
	return page, nil
}

// walk yields every item of op's list from q on, page after page by the
// part's paging (see pager.all).
func walk[T, Q any, P listParams[Q]](ctx context.Context, s *service, op *operation, q P, opts []RequestOption) iter.Seq2[T, error] {
	style := s.spec().paging
	return pager[T]{
		fetch:   func(ctx context.Context) (*Page[T], error) { return list[T](ctx, s, op, q, opts) },
		advance: func(p *Page[T]) bool { return advance(style, q.cursor(), p) },
	}.all(ctx, opts)
}

// valueOf is *p, or the zero value when p is nil.
func valueOf[Q any](p *Q) Q {
	if p == nil {
		var zero Q
		return zero
	}
	return *p
}
