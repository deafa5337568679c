package ghosttemporal

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	ghost "github.com/ghostanalytics/ghost-go"
)

// FileKey names one export file of one window: the unit a Sink stores.
type FileKey struct {
	MerchantID ghost.ID
	Type       ghost.ExportType
	Window     Window
	File       int // the file's number in the export, from 1
	// ExportID is the export the file comes from: its commit is refused
	// (ErrStaleExport) when Claim has since given the window to another.
	ExportID ghost.ID
}

// ErrStaleExport is returned by a Sink for a file or trim of an export that
// is no longer its window's current one: a download of an older export
// that outlived its activity must not replace the newer export's files.
var ErrStaleExport = errors.New("ghosttemporal: the window's files belong to a newer export")

// Sink is where exported objects go. A download writes each file of a
// window through Create, and calls Commit once every object of it is
// written; a retried download creates the same key again, and the new
// commit must replace the old file whole (never append to it), so each
// object is stored once however often a download is retried.
type Sink interface {
	// Claim makes exportID the window's current export, before its files
	// are written: from then on files and trims of any other export of the
	// window are refused with ErrStaleExport.
	Claim(ctx context.Context, merchantID ghost.ID, typ ghost.ExportType, w Window, exportID ghost.ID) error
	// Create begins the file for key.
	Create(ctx context.Context, key FileKey) (SinkFile, error)
	// Trim removes the files of the window numbered above files (left by an
	// earlier export of the window that had more files) and any unfinished
	// file; it is called once a window's files of exportID are all
	// committed (ErrStaleExport when another export holds the window).
	Trim(ctx context.Context, merchantID ghost.ID, typ ghost.ExportType, w Window, exportID ghost.ID, files int) error
}

// SinkFile is one file being written to a Sink.
type SinkFile interface {
	// Write adds one object (a JSON value).
	Write(obj json.RawMessage) error
	// Commit makes the file visible whole, replacing any earlier version.
	Commit() error
	// Abort discards the file; it is a no-op after Commit.
	Abort() error
}

// DirSink stores files under a local directory:
//
//	Dir/<merchant>/<TYPE>/<start>_<end>/<file>.jsonl
//
// with times as 20060102T150405Z and the file number on five digits, one
// object per line. A file is written under a temporary name and renamed
// when committed, so a reader never sees half a file and a rewrite
// replaces the old one. Each window directory also holds .export, the id
// of the export its files come from (see Claim); readers take the *.jsonl
// files.
type DirSink struct {
	Dir string
}

var _ Sink = DirSink{}

// safeName is what a merchant id may be to become a directory name.
var safeName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$`)

const stampLayout = "20060102T150405Z"

// WindowDir returns the directory of a window's files.
func (s DirSink) WindowDir(merchantID ghost.ID, typ ghost.ExportType, w Window) (string, error) {
	if s.Dir == "" {
		return "", errors.New("ghosttemporal: DirSink.Dir is empty")
	}
	if !safeName.MatchString(string(merchantID)) || strings.Contains(string(merchantID), "..") {
		return "", fmt.Errorf("ghosttemporal: merchant id %q cannot be a directory name", merchantID)
	}
	if typ != ghost.ExportTypeOrders && typ != ghost.ExportTypePayments {
		return "", fmt.Errorf("ghosttemporal: export type %q; want ORDERS or PAYMENTS", typ)
	}
	name := w.Start.UTC().Format(stampLayout) + "_" + w.End.UTC().Format(stampLayout)
	return filepath.Join(s.Dir, string(merchantID), string(typ), name), nil
}

// claimFile holds the id of the window's current export.
const claimFile = ".export"

// Claim records exportID as the window's current export (written to a
// temporary name and renamed, like the files).
func (s DirSink) Claim(_ context.Context, merchantID ghost.ID, typ ghost.ExportType, w Window, exportID ghost.ID) error {
	dir, err := s.WindowDir(merchantID, typ, w)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, claimFile+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(string(exportID))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, claimFile))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// checkClaim returns ErrStaleExport when the window in dir is claimed by an
// export other than exportID (no claim, or no export id, passes).
func checkClaim(dir string, exportID ghost.ID) error {
	if exportID == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, claimFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if cur := ghost.ID(b); cur != exportID {
		return fmt.Errorf("%w (export %s, the window now holds %s)", ErrStaleExport, exportID, cur)
	}
	return nil
}

// Create begins the file for key under a temporary name.
func (s DirSink) Create(_ context.Context, key FileKey) (SinkFile, error) {
	if key.File < 1 {
		return nil, fmt.Errorf("ghosttemporal: file number %d; want 1 or more", key.File)
	}
	dir, err := s.WindowDir(key.MerchantID, key.Type, key.Window)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	final := filepath.Join(dir, fileName(key.File))
	f, err := os.CreateTemp(dir, fileName(key.File)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &dirFile{f: f, w: bufio.NewWriterSize(f, 64<<10), final: final, dir: dir, exportID: key.ExportID}, nil
}

func fileName(n int) string { return fmt.Sprintf("%05d.jsonl", n) }

// Trim removes the window's files numbered above files and unfinished
// temporary files.
func (s DirSink) Trim(_ context.Context, merchantID ghost.ID, typ ghost.ExportType, w Window, exportID ghost.ID, files int) error {
	dir, err := s.WindowDir(merchantID, typ, w)
	if err != nil {
		return err
	}
	if err := checkClaim(dir, exportID); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		num, isFinal := strings.CutSuffix(name, ".jsonl")
		n, perr := strconv.Atoi(num)
		if isFinal && perr == nil && n <= files {
			continue
		}
		if !isFinal && !strings.Contains(name, ".jsonl.tmp-") {
			continue // not ours
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

type dirFile struct {
	f        *os.File
	w        *bufio.Writer
	final    string
	dir      string
	exportID ghost.ID
	done     bool
}

func (d *dirFile) Write(obj json.RawMessage) error {
	if d.done {
		return errors.New("ghosttemporal: write to a closed sink file")
	}
	if len(obj) == 0 || strings.ContainsAny(string(obj), "\n\r") {
		// Objects from the SDK's decoder are compact; a line break would
		// split one object over two JSONL lines.
		var buf strings.Builder
		enc := json.NewEncoder(&buf)
		if err := enc.Encode(obj); err != nil {
			return fmt.Errorf("ghosttemporal: object is not JSON: %w", err)
		}
		_, err := d.w.WriteString(buf.String())
		return err
	}
	if _, err := d.w.Write(obj); err != nil {
		return err
	}
	return d.w.WriteByte('\n')
}

func (d *dirFile) Commit() error {
	if d.done {
		return errors.New("ghosttemporal: sink file already closed")
	}
	d.done = true
	err := d.w.Flush()
	if err == nil {
		err = d.f.Sync()
	}
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = checkClaim(d.dir, d.exportID)
	}
	if err == nil {
		err = os.Rename(d.f.Name(), d.final)
	}
	if err != nil {
		os.Remove(d.f.Name())
	}
	return err
}

func (d *dirFile) Abort() error {
	if d.done {
		return nil
	}
	d.done = true
	d.f.Close()
	return os.Remove(d.f.Name())
}
