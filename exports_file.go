package ghost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"sync"

	"github.com/ghostanalytics/ghost-go/internal/wire"
)

// MaxExportFileObjects is the most objects one export file may hold: seed
// 004 says "1000 objects per file". A file holding more ends with an error
// matching ErrResponseTooLarge after its first MaxExportFileObjects objects,
// so one file costs at most MaxExportFileObjects objects of at most
// WithMaxExportObjectBytes each, wherever it is held (Range's temporary
// files included).
const MaxExportFileObjects = 1000

// File streams the objects of file i (from 0) of a DONE export as raw JSON,
// in file order. It is the one download every other export download is
// built on (Objects, Orders, Payments, Range), for callers that fetch the
// files themselves — one per task, one per worker, or to store each file
// whole:
//
//	for i := range e.ExportURLs {
//		for raw, err := range client.Exports.File(ctx, e, i) { … }
//	}
//
// The file is fetched without the API's credentials (its URL is pre-signed
// and may be on another host), and decoded while it downloads: one object
// at a time is held, at most WithMaxExportObjectBytes bytes, and a file of
// more than MaxExportFileObjects objects is refused. A download cut midway
// (connection reset, body cut short, idle timeout) is resumed with a new
// request, up to the client's RetryPolicy.MaxRetries times with its backoff,
// skipping the objects already yielded, so each object is yielded once. An
// expired export (past AvailableUntil, or its file answering 410, or 403/404
// once AvailableUntil has passed) yields an error matching ErrExportExpired;
// an export that is not DONE, or an i out of range, an error matching
// ErrValidation. The first error ends the sequence.
func (s *ExportsService) File(ctx context.Context, e *Export, i int) iter.Seq2[json.RawMessage, error] {
	return ExportFileObjects[json.RawMessage](ctx, s, e, i)
}

// ExportFileObjects streams the objects of file i of a DONE export decoded
// as T (ExportedOrder, ExportedPayment, json.RawMessage or a caller's own
// type); see ExportsService.File. ExportedOrder and ExportedPayment are
// decoded by the SDK's own decoder, falling back to encoding/json for
// anything it does not take; it gives the same values as encoding/json.
func ExportFileObjects[T any](ctx context.Context, s *ExportsService, e *Export, i int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		err := s.checkDownloadable(e)
		if err == nil && (i < 0 || i >= len(e.ExportURLs)) {
			err = invalidParams("file", "export %s has %d files; there is no file %d", e.ID, len(e.ExportURLs), i)
		}
		if err == nil && ctx == nil {
			err = invalidParams("", "nil context")
		}
		if err != nil {
			yield(zero, err)
			return
		}
		if err := downloadFile(ctx, s, e, i, yield); err != nil {
			if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
				err = fmt.Errorf("%w (%w)", ctx.Err(), err)
			}
			yield(zero, fmt.Errorf("ghost: export %s file %d of %d: %w", e.ID, i+1, len(e.ExportURLs), err))
		}
	}
}

// errStop is downloadFile's report that the caller stopped.
var errStop = errors.New("stopped")

// downloadFile yields the objects of file i, resuming a cut download; it
// returns nil when the file ended or the caller stopped.
func downloadFile[T any](ctx context.Context, s *ExportsService, e *Export, i int, yield func(T, error) bool) error {
	u, err := url.Parse(e.ExportURLs[i].URL)
	if err != nil {
		return &Error{Code: CodeBadResponse, Message: "export file URL does not parse"}
	}
	policy := s.client.cfg.retry
	done := 0 // objects yielded
	for attempt := 0; ; attempt++ {
		body, err := s.openFile(ctx, e, u)
		if err != nil {
			return err
		}
		r := newElementReader(body, s.maxObject())
		n, err := readElements(r, done, func(v T) bool { return yield(v, nil) })
		r.release()
		body.Close()
		done += n
		switch {
		case errors.Is(err, errStop):
			return nil
		case err == nil:
			return nil
		case r.readErr == nil || ctx.Err() != nil || attempt >= policy.MaxRetries || !temporary(r.readErr):
			return err
		}
		if err := sleepCtx(ctx, wire.Backoff(policy.MinWait, policy.MaxWait, attempt, -1)); err != nil {
			return err
		}
	}
}

// opExportsDownloadFile fetches one file of a DONE export, on the URL the
// export lists: without credentials, possibly on another host, its body
// streamed to the caller.
var opExportsDownloadFile = func() *operation {
	op := declare(PartExports, "Exports.DownloadFile", http.MethodGet, "")
	op.auth, op.stream = authNone, true
	return op
}()

// openFile sends the GET of one export file and returns its body.
func (s *ExportsService) openFile(ctx context.Context, e *Export, u *url.URL) (io.ReadCloser, error) {
	r := &request{op: opExportsDownloadFile, url: u}
	if _, err := (*service)(s).do(ctx, r, nil, nil); err != nil {
		var ge *Error
		if errors.As(err, &ge) && s.expiredStatus(e, ge.StatusCode) {
			return nil, fmt.Errorf("%w: the file answered %d (%w)", ErrExportExpired, ge.StatusCode, err)
		}
		return nil, err
	}
	return r.streamBody, nil
}

// readElements decodes the elements r reads as T and yields them, all but
// the first skip (already yielded by an earlier, cut download). It returns
// how many it yielded, and errStop when yield asked to stop.
func readElements[T any](r *elementReader, skip int, yield func(T) bool) (int, error) {
	slot := new(T) // one value per file, decoded into and yielded by copy
	var zero T
	fast := exportDecoder[T]()
	var decode func(l *wire.Lexer) bool
	if fast != nil {
		decode = func(l *wire.Lexer) bool { *slot = zero; return fast(l, slot) }
	}
	yielded := 0
	for {
		more, err := r.advance()
		if err != nil || !more {
			return yielded, err
		}
		if skip > 0 {
			if _, _, err := r.element(nil); err != nil {
				return yielded, err
			}
			skip--
			continue
		}
		raw, decoded, err := r.element(decode)
		if err != nil {
			return yielded, err
		}
		if !decoded {
			*slot = zero
			if err := unmarshalElement(raw, slot); err != nil {
				return yielded, &Error{Code: CodeBadResponse, Message: fmt.Sprintf("export file element %d: %v", r.n-1, err)}
			}
		}
		yielded++
		if !yield(*slot) {
			return yielded, errStop
		}
	}
}

// unmarshalElement decodes one element with encoding/json (a raw message is
// copied as it is, as encoding/json copies it).
func unmarshalElement[T any](raw []byte, v *T) error {
	if m, ok := any(v).(*json.RawMessage); ok {
		*m = append(json.RawMessage(nil), raw...)
		return nil
	}
	return json.Unmarshal(raw, v)
}

// elementReader reads the elements of one export file as it arrives: the
// file is {"elements": […]} (other keys skipped, "elements": null allowed)
// or a bare array. Each token (an element, a skipped value, a key) must fit
// in the object cap (plus objectSlack for whitespace and separators): the
// buffer never grows past it, and a file never holds more than
// MaxExportFileObjects elements. What follows the file's closing bracket is
// not read.
type elementReader struct {
	src      io.Reader
	buf      []byte
	start    int   // first unread byte of buf
	end      int   // end of the bytes read into buf
	offset   int64 // file offset of buf[0], for error messages
	eof      bool  // src is at its end
	readErr  error // src failed (other than io.EOF)
	max      int64 // largest element
	n        int   // elements read
	state    readerState
	bare     bool // the file is a bare array
	elements bool // an "elements" key was seen
	lex      wire.Lexer
}

type readerState uint8

const (
	stTop       readerState = iota // before the file's first byte
	stOpen                         // after the object's '{'
	stKey                          // in the object, before a key
	stAfterKey                     // in the object, after a key or a skipped value
	stFirst                        // after an array's '['
	stAfterElem                    // after an element
	stDone
)

// objectSlack is the room a token may take beyond the object cap, for the
// whitespace and separators before it.
const objectSlack = 4 << 10

// readBufSize is the read buffer of a file (pooled).
const readBufSize = 64 << 10

var readBufs = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

func newElementReader(src io.Reader, max int64) *elementReader {
	r := &elementReader{src: src, max: max, buf: *readBufs.Get().(*[]byte)}
	r.lex.CacheStrings()
	return r
}

// release gives the read buffer back to the pool (a grown one is dropped).
func (r *elementReader) release() {
	if len(r.buf) == readBufSize {
		b := r.buf
		readBufs.Put(&b)
	}
	r.buf = nil
}

// tooLarge is the error of a token over the object cap.
func (r *elementReader) tooLarge() error {
	return &Error{Code: CodeResponseTooLarge,
		Message: fmt.Sprintf("an object of the export file exceeds %d bytes (see WithMaxExportObjectBytes)", r.max)}
}

// syntax is the error of invalid JSON at pos (relative to r.start).
func (r *elementReader) syntax(pos int, what string) error {
	return &Error{Code: CodeBadResponse, Message: fmt.Sprintf("export file: %s at byte %d", what, r.offset+int64(r.start+pos))}
}

// more reads more of the file for the token that starts at r.start: one
// read while the token is small (a reader that has what the token needs
// never waits), then enough to double it, so a large token is scanned a
// bounded number of times. It fails when the file failed or ended, or when
// the token would pass the object cap.
func (r *elementReader) more() error {
	switch {
	case r.readErr != nil:
		return fmt.Errorf("reading export file: %w", r.readErr)
	case r.eof:
		return fmt.Errorf("reading export file: %w", io.ErrUnexpectedEOF)
	}
	have := r.end - r.start
	limit := int(min(r.max+objectSlack, 1<<40))
	if have >= limit {
		return r.tooLarge()
	}
	if r.start > 0 { // keep only the token being read
		copy(r.buf, r.buf[r.start:r.end])
		r.offset += int64(r.start)
		r.start, r.end = 0, have
	}
	want := have + 1
	if have >= readBufSize {
		want = min(2*have, limit)
	}
	if want > len(r.buf) || r.end == len(r.buf) {
		nb := make([]byte, min(max(2*len(r.buf), want), limit))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	for r.end < want && r.end < len(r.buf) {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if err == io.EOF {
			r.eof = true
			break
		}
		if err != nil {
			r.readErr = err
			break
		}
	}
	if r.end == have && !r.eof && r.readErr == nil { // nothing new yet
		return r.more()
	}
	return nil // new bytes, or the news that there are none: try again
}

// token runs fn over the unread bytes, reading more while fn fails (or
// ends at the end of the bytes) for want of bytes; on success it consumes
// what fn read.
func (r *elementReader) token(what string, fn func(l *wire.Lexer) bool) error {
	for {
		r.lex.Reset(r.buf[r.start:r.end])
		ok := fn(&r.lex)
		switch {
		case ok && (!r.lex.Short() || r.eof):
			r.start += r.lex.Pos()
			return nil
		case !ok && !r.lex.Short():
			return r.syntax(r.lex.Pos(), what)
		}
		if err := r.more(); err != nil {
			return err
		}
	}
}

// advance moves past the file's structure to its next element, and reports
// whether there is one.
func (r *elementReader) advance() (bool, error) {
	var c byte
	peek := func(l *wire.Lexer) bool {
		var ok bool
		c, ok = l.Peek()
		return ok
	}
	for r.state != stDone {
		if err := r.token("invalid JSON", peek); err != nil {
			return false, err
		}
		// c is at r.buf[r.start]; each case consumes it or leaves it to a
		// token read.
		switch r.state {
		case stTop:
			switch c {
			case '[':
				r.bare, r.state = true, stFirst
			case '{':
				r.state = stOpen
			default:
				return false, &Error{Code: CodeBadResponse, Message: "export file is not a JSON object or array"}
			}
			r.start++
		case stOpen:
			r.state = stKey
			if c == '}' {
				r.start++
				r.state = stDone
			}
		case stKey:
			if err := r.key(); err != nil {
				return false, err
			}
		case stAfterKey:
			switch c {
			case ',':
				r.state = stKey
			case '}':
				r.state = stDone
			default:
				return false, r.syntax(0, "invalid JSON after a value")
			}
			r.start++
		case stFirst, stAfterElem:
			if c == ']' {
				r.start++
				r.state = stAfterKey
				if r.bare {
					r.state = stDone
				}
				continue
			}
			if r.state == stAfterElem {
				if c != ',' {
					return false, r.syntax(0, "invalid JSON after an element")
				}
				r.start++
			}
			if r.n >= MaxExportFileObjects {
				return false, &Error{Code: CodeResponseTooLarge,
					Message: fmt.Sprintf("export file holds more than %d objects (the API puts at most %d in a file)", MaxExportFileObjects, MaxExportFileObjects)}
			}
			r.state = stAfterElem
			return true, nil
		}
	}
	if !r.bare && !r.elements {
		return false, &Error{Code: CodeBadResponse, Message: `export file has no "elements"`}
	}
	return false, nil
}

// key reads one key of the file's object and what follows it: the start
// of "elements" (or its null), or the skipped value of any other key.
func (r *elementReader) key() error {
	var k string
	if err := r.token("invalid JSON", func(l *wire.Lexer) bool {
		var ok bool
		k, ok = l.String()
		return ok && l.Byte(':')
	}); err != nil {
		return err
	}
	r.state = stAfterKey
	if k != "elements" {
		return r.token("invalid JSON", func(l *wire.Lexer) bool { return l.Skip() })
	}
	r.elements = true
	var isNull, isArray bool
	err := r.token("invalid JSON", func(l *wire.Lexer) bool {
		isNull = l.Null()
		if !isNull {
			isArray = l.Byte('[')
		}
		return isNull || isArray || !l.Short()
	})
	switch {
	case err != nil:
		return err
	case isArray:
		r.state = stFirst
	case !isNull:
		return &Error{Code: CodeBadResponse, Message: "export file's elements is not an array"}
	}
	return nil
}

// element reads the element at the current position. decode, when set,
// decodes it in the same pass and reports whether it could; otherwise (or
// when it cannot) the element is only checked to be valid JSON and raw is
// its bytes, valid until the next call.
func (r *elementReader) element(decode func(l *wire.Lexer) bool) (raw []byte, decoded bool, err error) {
	for {
		data := r.buf[r.start:r.end]
		if decode != nil {
			r.lex.Reset(data)
			ok := decode(&r.lex)
			if ok && (!r.lex.Short() || r.eof) {
				return nil, true, r.took(r.lex.Pos(), data)
			}
			if !ok && !r.lex.Short() {
				decode = nil // refused for good: read it raw
			}
		}
		r.lex.Reset(data)
		r.lex.Peek()
		from := r.lex.Pos()
		ok := r.lex.Skip()
		switch {
		case ok && (!r.lex.Short() || r.eof):
			to := r.lex.Pos()
			return data[from:to], false, r.took(to, data)
		case !ok && !r.lex.Short():
			return nil, false, r.syntax(r.lex.Pos(), "invalid JSON in an element")
		}
		if err := r.more(); err != nil {
			return nil, false, err
		}
	}
}

// took consumes an element of data that ended at to, within the cap.
func (r *elementReader) took(to int, data []byte) error {
	size := to
	for size > 0 && isSpace(data[0]) {
		data, size = data[1:], size-1
	}
	if int64(size) > r.max {
		return r.tooLarge()
	}
	r.start += to
	r.n++
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
