package ghosttemporal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	ghost "github.com/ghostanalytics/ghost-go"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	// The bucket drivers a sink URL may name.
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
)

// ErrStaleExport is returned by a Sink for a claim, commit or completion by
// an export that is no longer its window's current one: a download of an
// older export that outlived its activity must not replace the newer
// export's files.
var ErrStaleExport = errors.New("ghosttemporal: the window's files belong to a newer export")

// Sink is where a job's exported objects go: a bucket on S3, Google Cloud
// Storage or Azure Blob Storage, or a local directory, opened through
// gocloud.dev/blob from the job's sink URL (OpenSink). Every worker of a job
// writes to the same sink, whichever machine it runs on.
//
// The keys of one window of one merchant are
//
//	<merchant>/<TYPE>/<start>_<end>/window.json
//	<merchant>/<TYPE>/<start>_<end>/<created>-<export>/00001.jsonl, 00002.jsonl, …
//
// with times as 20060102T150405Z (created with nanoseconds). Each export
// file becomes one JSONL object (one exported object per line), uploaded
// whole (it appears whole or not at all) under a name of its own export, so
// no export ever overwrites another's files. window.json (a WindowRecord)
// says which export the window's files come from, which files are
// committed and whether the window is complete; it is only ever changed
// with a conditional write (S3 If-Match/If-None-Match, a GCS generation
// match, an Azure ETag match, or an exclusive lock on the directory for
// file://), so a file's commit is refused in that one write when another
// export has claimed the window. Readers take the files a complete record
// lists (Sink.Objects).
type Sink struct {
	url    string
	bucket *blob.Bucket
	kind   sinkKind
	dir    string // kindFile: the directory keys are under

	beforeWrite func() // tests: called between a record's read and its write
}

type sinkKind int

const (
	kindS3 sinkKind = iota + 1
	kindGCS
	kindAzure
	kindFile
)

var sinkSchemes = map[string]sinkKind{"s3": kindS3, "gs": kindGCS, "azblob": kindAzure, "file": kindFile}

// CheckSinkURL reports whether rawURL can name a job's sink: s3://, gs://,
// azblob:// (a bucket or container; credentials come from the worker's
// environment, never the URL) or file:// with an absolute path (one machine
// only: every worker must see the same directory).
func CheckSinkURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("ghosttemporal: sink URL: %w", err)
	}
	if _, ok := sinkSchemes[u.Scheme]; !ok {
		return fmt.Errorf("ghosttemporal: sink URL scheme %q: want s3, gs, azblob or file", u.Scheme)
	}
	if u.User != nil {
		return errors.New("ghosttemporal: sink URL must not hold credentials (workers read them from their environment)")
	}
	if u.Scheme == "file" {
		if u.Host != "" && u.Host != "localhost" || !strings.HasPrefix(u.Path, "/") || len(u.Path) < 2 {
			return fmt.Errorf("ghosttemporal: file sink %q: want file:///absolute/directory", rawURL)
		}
	} else if u.Host == "" {
		return fmt.Errorf("ghosttemporal: sink URL %q names no bucket", rawURL)
	}
	return nil
}

// OpenSink opens the sink at rawURL (see CheckSinkURL and gocloud.dev's URL
// formats, e.g. "s3://bucket?region=eu-west-1&prefix=exports/").
func OpenSink(ctx context.Context, rawURL string) (*Sink, error) {
	if err := CheckSinkURL(rawURL); err != nil {
		return nil, err
	}
	u, _ := url.Parse(rawURL)
	s := &Sink{url: rawURL, kind: sinkSchemes[u.Scheme]}
	if s.kind == kindFile {
		s.dir = filepath.Join(filepath.FromSlash(u.Path), filepath.FromSlash(u.Query().Get("prefix")))
	}
	b, err := blob.OpenBucket(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("ghosttemporal: opening sink %s: %w", rawURL, err)
	}
	s.bucket = b
	return s, nil
}

// Close closes the sink's bucket.
func (s *Sink) Close() error { return s.bucket.Close() }

// URL is the URL the sink was opened with.
func (s *Sink) URL() string { return s.url }

// WindowKey names one window of one merchant's export of one type.
type WindowKey struct {
	MerchantID ghost.ID
	Type       ghost.ExportType
	Window     Window
}

// safeName is what a merchant or export id may be to become part of a key.
var safeName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$`)

func checkName(what string, id ghost.ID) error {
	if !safeName.MatchString(string(id)) || strings.Contains(string(id), "..") {
		return fmt.Errorf("ghosttemporal: %s id %q cannot be part of a sink key", what, id)
	}
	return nil
}

const (
	stampLayout   = "20060102T150405Z"
	createdLayout = "20060102T150405.000000000Z"
	recordName    = "window.json"
)

// Prefix returns the keys' common prefix for the window ("m1/ORDERS/
// 20250101T000000Z_20250131T000000Z/").
func (k WindowKey) Prefix() (string, error) {
	if err := checkName("merchant", k.MerchantID); err != nil {
		return "", err
	}
	if k.Type != ghost.ExportTypeOrders && k.Type != ghost.ExportTypePayments {
		return "", fmt.Errorf("ghosttemporal: export type %q; want ORDERS or PAYMENTS", k.Type)
	}
	w := k.Window
	return fmt.Sprintf("%s/%s/%s_%s/", k.MerchantID, k.Type,
		w.Start.UTC().Format(stampLayout), w.End.UTC().Format(stampLayout)), nil
}

// Claim is an export's claim on a window: Created (when the workflow
// created the export) orders the exports of a window, the newest wins.
type Claim struct {
	Export  ghost.ID
	Created time.Time
	Files   int    // how many files the export has
	Job     string // the workflow that claims (for operators)
}

func (c Claim) dir() string {
	return c.Created.UTC().Format(createdLayout) + "-" + string(c.Export)
}

// fileKey is the key of file n (from 1) of the export c in the window.
func (c Claim) fileKey(prefix string, n int) string {
	return fmt.Sprintf("%s%s/%05d.jsonl", prefix, c.dir(), n)
}

// WindowRecord is a window's window.json.
type WindowRecord struct {
	MerchantID ghost.ID         `json:"merchant"`
	Type       ghost.ExportType `json:"type"`
	Start      time.Time        `json:"start"`
	End        time.Time        `json:"end"`
	Export     ghost.ID         `json:"export"`  // the window's current export
	Created    time.Time        `json:"created"` // when the workflow created it
	Files      int              `json:"files"`   // the export's file count
	// Committed lists the files of Export stored so far, in file order.
	Committed []CommittedFile `json:"committed"`
	// Complete is set once every file is committed and the files of older
	// exports are gone: readers take Committed.
	Complete bool   `json:"complete"`
	Job      string `json:"job,omitempty"` // the workflow id of the last writer
}

// CommittedFile is one stored file of a window.
type CommittedFile struct {
	File    int    `json:"file"` // from 1
	Key     string `json:"key"`
	Objects int64  `json:"objects"`
}

// Objects is the number of objects in the committed files.
func (r *WindowRecord) Objects() int64 {
	var n int64
	for _, f := range r.Committed {
		n += f.Objects
	}
	return n
}

func (r *WindowRecord) committed(n int) (CommittedFile, bool) {
	i := slices.IndexFunc(r.Committed, func(f CommittedFile) bool { return f.File == n })
	if i < 0 {
		return CommittedFile{}, false
	}
	return r.Committed[i], true
}

// owns reports whether c is the record's export; an error wrapping
// ErrStaleExport when a newer (or another equally old) export holds it.
func (r *WindowRecord) owns(c Claim) (bool, error) {
	switch {
	case r == nil || r.Created.Before(c.Created):
		return false, nil
	case r.Export == c.Export && r.Created.Equal(c.Created):
		return true, nil
	}
	return false, fmt.Errorf("%w (export %s created %s; the window holds %s created %s)", ErrStaleExport,
		c.Export, c.Created.UTC().Format(time.RFC3339Nano), r.Export, r.Created.UTC().Format(time.RFC3339Nano))
}

// Record returns the window's record, or nil when it has none.
func (s *Sink) Record(ctx context.Context, k WindowKey) (*WindowRecord, error) {
	p, err := k.Prefix()
	if err != nil {
		return nil, err
	}
	rec, _, err := s.readRecord(ctx, p+recordName)
	return rec, err
}

// Claim makes c's export the window's current export (or finds that it
// already is) and returns the record: a retried download skips the files
// it lists as committed. It fails with ErrStaleExport when a newer export
// holds the window.
func (s *Sink) Claim(ctx context.Context, k WindowKey, c Claim) (*WindowRecord, error) {
	p, err := s.claimCheck(k, c)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, p+recordName, func(r *WindowRecord) (*WindowRecord, error) {
		mine, err := r.owns(c)
		if err != nil || mine {
			return nil, err
		}
		return &WindowRecord{MerchantID: k.MerchantID, Type: k.Type, Start: k.Window.Start.UTC(), End: k.Window.End.UTC(),
			Export: c.Export, Created: c.Created.UTC(), Files: c.Files, Committed: []CommittedFile{}, Job: c.Job}, nil
	})
}

func (s *Sink) claimCheck(k WindowKey, c Claim) (string, error) {
	p, err := k.Prefix()
	if err != nil {
		return "", err
	}
	if err := checkName("export", c.Export); err != nil {
		return "", err
	}
	if c.Created.IsZero() {
		return "", errors.New("ghosttemporal: a claim needs the export's creation time")
	}
	return p, nil
}

// Create begins file n (from 1) of the export c in the window: write its
// objects, then Commit or Abort.
func (s *Sink) Create(ctx context.Context, k WindowKey, c Claim, n int) (*SinkFile, error) {
	p, err := s.claimCheck(k, c)
	if err != nil {
		return nil, err
	}
	if n < 1 || n > c.Files {
		return nil, fmt.Errorf("ghosttemporal: file %d of an export of %d files", n, c.Files)
	}
	wctx, cancel := context.WithCancel(ctx)
	key := c.fileKey(p, n)
	w, err := s.bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentType: "application/x-ndjson"})
	if err != nil {
		cancel()
		return nil, err
	}
	return &SinkFile{s: s, k: k, c: c, n: n, prefix: p, key: key, w: w, cancel: cancel}, nil
}

// SinkFile is one export file being written to a Sink.
type SinkFile struct {
	s       *Sink
	k       WindowKey
	c       Claim
	n       int
	prefix  string
	key     string
	w       *blob.Writer
	cancel  context.CancelFunc
	objects int64
	done    bool
}

// Write adds one object (a JSON value) as one line.
func (f *SinkFile) Write(obj json.RawMessage) error {
	if f.done {
		return errors.New("ghosttemporal: write to a closed sink file")
	}
	if len(obj) == 0 || bytes.ContainsAny(obj, "\n\r") {
		// Objects from the SDK's decoder are compact; a line break would
		// split one object over two lines.
		var buf bytes.Buffer
		if err := json.Compact(&buf, obj); err != nil {
			return fmt.Errorf("ghosttemporal: object is not JSON: %w", err)
		}
		obj = buf.Bytes()
	}
	if _, err := f.w.Write(obj); err != nil {
		return err
	}
	if _, err := f.w.Write([]byte{'\n'}); err != nil {
		return err
	}
	f.objects++
	return nil
}

// Objects is how many objects were written.
func (f *SinkFile) Objects() int64 { return f.objects }

// Commit uploads the file whole, then records it in the window's record
// with one conditional write: refused with ErrStaleExport (and the upload
// deleted) when a newer export has claimed the window.
func (f *SinkFile) Commit(ctx context.Context) error {
	if f.done {
		return errors.New("ghosttemporal: sink file already closed")
	}
	f.done = true
	defer f.cancel()
	if err := f.w.Close(); err != nil {
		return err
	}
	_, err := f.s.update(ctx, f.prefix+recordName, func(r *WindowRecord) (*WindowRecord, error) {
		mine, err := r.owns(f.c)
		if err != nil {
			return nil, err
		}
		if !mine {
			return nil, fmt.Errorf("ghosttemporal: export %s committed a file without a claim on the window", f.c.Export)
		}
		if cf, ok := r.committed(f.n); ok && cf.Objects == f.objects {
			return nil, nil // already recorded
		}
		next := *r
		next.Committed = slices.DeleteFunc(slices.Clone(r.Committed), func(cf CommittedFile) bool { return cf.File == f.n })
		next.Committed = append(next.Committed, CommittedFile{File: f.n, Key: f.key, Objects: f.objects})
		slices.SortFunc(next.Committed, func(a, b CommittedFile) int { return a.File - b.File })
		next.Job = f.c.Job
		return &next, nil
	})
	if errors.Is(err, ErrStaleExport) {
		// Ours alone (its export's own key): nobody reads it.
		_ = f.s.bucket.Delete(ctx, f.key)
	}
	return err
}

// Abort discards the file; it is a no-op after Commit.
func (f *SinkFile) Abort() {
	if !f.done {
		f.done = true
		f.cancel()      // a cancelled writer creates no object
		_ = f.w.Close() // returns the cancellation
	}
}

// Complete finishes the window for c's export: every file must be
// committed. It deletes what older exports of the window (and unfinished
// uploads) left, then marks the record complete with a conditional write.
func (s *Sink) Complete(ctx context.Context, k WindowKey, c Claim) (*WindowRecord, error) {
	p, err := s.claimCheck(k, c)
	if err != nil {
		return nil, err
	}
	rec, _, err := s.readRecord(ctx, p+recordName)
	if err != nil {
		return nil, err
	}
	if mine, err := rec.owns(c); err != nil || !mine {
		return nil, cmpErr(err, fmt.Errorf("ghosttemporal: export %s completes a window it never claimed", c.Export))
	}
	for n := 1; n <= c.Files; n++ {
		if _, ok := rec.committed(n); !ok {
			return nil, fmt.Errorf("ghosttemporal: window %s: file %d of export %s is not committed", k.Window, n, c.Export)
		}
	}
	if err := s.trim(ctx, p, rec); err != nil {
		return nil, err
	}
	return s.update(ctx, p+recordName, func(r *WindowRecord) (*WindowRecord, error) {
		if mine, err := r.owns(c); err != nil || !mine {
			return nil, cmpErr(err, fmt.Errorf("ghosttemporal: export %s lost its claim", c.Export))
		}
		if r.Complete {
			return nil, nil
		}
		next := *r
		next.Complete, next.Job = true, c.Job
		return &next, nil
	})
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// exportDir matches the directory of one export's files in a window.
var exportDir = regexp.MustCompile(`^(\d{8}T\d{6}\.\d{9}Z)-[^/]+/`)

// trim deletes the keys of the window that are neither its record nor a
// committed file of rec's export: files of older exports, uploads of rec's
// export that were never committed, and temporary files. Files of a newer
// export (one that claimed the window meanwhile) are left alone.
func (s *Sink) trim(ctx context.Context, prefix string, rec *WindowRecord) error {
	keep := map[string]bool{prefix + recordName: true}
	for _, f := range rec.Committed {
		keep[f.Key] = true
	}
	mine := rec.Created.UTC().Format(createdLayout)
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	var dirs []string
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		rest := strings.TrimPrefix(obj.Key, prefix)
		m := exportDir.FindStringSubmatch(rest)
		if keep[obj.Key] || m == nil || m[1] > mine {
			continue // ours to keep, not ours, or a newer export's
		}
		if err := s.bucket.Delete(ctx, obj.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return err
		}
		dirs = append(dirs, path.Dir(obj.Key))
	}
	if s.kind == kindFile {
		removeEmptyDirs(s.dir, dirs)
	}
	return nil
}

// Keys lists every key under the window's prefix, in order.
func (s *Sink) Keys(ctx context.Context, k WindowKey) ([]string, error) {
	p, err := k.Prefix()
	if err != nil {
		return nil, err
	}
	var keys []string
	it := s.bucket.List(&blob.ListOptions{Prefix: p})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return keys, nil
		}
		if err != nil {
			return nil, err
		}
		keys = append(keys, obj.Key)
	}
}

// Objects yields the objects of a complete window, in order; it fails when
// the window is not complete.
func (s *Sink) Objects(ctx context.Context, k WindowKey) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		rec, err := s.Record(ctx, k)
		if err == nil && (rec == nil || !rec.Complete) {
			err = fmt.Errorf("ghosttemporal: window %s of %s %s is not complete in the sink", k.Window, k.MerchantID, k.Type)
		}
		if err != nil {
			yield(nil, err)
			return
		}
		for _, f := range rec.Committed {
			b, err := s.bucket.ReadAll(ctx, f.Key)
			if err != nil {
				yield(nil, err)
				return
			}
			var n int64
			for line := range bytes.Lines(b) {
				n++
				if !yield(json.RawMessage(bytes.TrimSuffix(line, []byte{'\n'})), nil) {
					return
				}
			}
			if n != f.Objects {
				yield(nil, fmt.Errorf("ghosttemporal: %s holds %d objects, its record says %d", f.Key, n, f.Objects))
				return
			}
		}
	}
}

// maxUpdateAttempts bounds the conditional writes of one record update
// that lose to another writer.
const maxUpdateAttempts = 20

// update changes the record at key with fn (given nil when there is none;
// returning nil writes nothing) by a conditional write, read and tried again
// when another writer changed it in between.
func (s *Sink) update(ctx context.Context, key string, fn func(*WindowRecord) (*WindowRecord, error)) (*WindowRecord, error) {
	if s.kind == kindFile {
		unlock, err := lockDir(filepath.Join(s.dir, filepath.FromSlash(path.Dir(key))))
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	for attempt := 1; ; attempt++ {
		cur, ver, err := s.readRecord(ctx, key)
		if err != nil {
			return nil, err
		}
		next, err := fn(cur)
		if err != nil || next == nil {
			return cur, err
		}
		data, err := json.MarshalIndent(next, "", "  ")
		if err != nil {
			return nil, err
		}
		if s.beforeWrite != nil {
			s.beforeWrite()
		}
		err = s.writeRecord(ctx, key, data, ver)
		if err == nil {
			return next, nil
		}
		if !s.conflict(err) || attempt == maxUpdateAttempts {
			return nil, fmt.Errorf("ghosttemporal: writing %s: %w", key, err)
		}
		select {
		case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// readRecord reads the record at key and the version it was read at.
func (s *Sink) readRecord(ctx context.Context, key string) (*WindowRecord, version, error) {
	data, ver, err := s.readVersioned(ctx, key)
	if err != nil || !ver.exists {
		return nil, ver, err
	}
	var rec WindowRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, ver, fmt.Errorf("ghosttemporal: %s is not a window record: %w", key, err)
	}
	return &rec, ver, nil
}
