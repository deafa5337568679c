package ghosttemporal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	azblobblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// version is the version of an object a conditional write is made against:
// the S3 or Azure ETag, or the GCS generation, of what was read.
type version struct {
	exists bool
	etag   string
	gen    int64
}

// readVersioned reads key and the version read (exists is false when there
// is no such object).
func (s *Sink) readVersioned(ctx context.Context, key string) ([]byte, version, error) {
	r, err := s.bucket.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, version{}, nil
	}
	if err != nil {
		return nil, version{}, err
	}
	defer r.Close()
	ver := version{exists: true}
	switch s.kind {
	case kindS3:
		var out s3.GetObjectOutput
		if !r.As(&out) || out.ETag == nil {
			return nil, ver, fmt.Errorf("ghosttemporal: %s: the S3 answer has no ETag", key)
		}
		ver.etag = *out.ETag
	case kindGCS:
		var gr *storage.Reader
		if !r.As(&gr) {
			return nil, ver, fmt.Errorf("ghosttemporal: %s: no GCS generation", key)
		}
		ver.gen = gr.Attrs.Generation
	case kindAzure:
		var resp azblobblob.DownloadStreamResponse
		if !r.As(&resp) || resp.ETag == nil {
			return nil, ver, fmt.Errorf("ghosttemporal: %s: the Azure answer has no ETag", key)
		}
		ver.etag = string(*resp.ETag)
	case kindFile:
		// The caller holds the directory's lock.
	}
	data, err := io.ReadAll(r)
	return data, ver, err
}

// writeRecord writes data to key only if the object is still at ver (absent
// when ver.exists is false). A lost race is an error for which conflict
// reports true.
func (s *Sink) writeRecord(ctx context.Context, key string, data []byte, ver version) error {
	opts := &blob.WriterOptions{ContentType: "application/json", IfNotExist: !ver.exists}
	if ver.exists {
		opts.BeforeWrite = func(as func(any) bool) error { return s.ifMatch(as, ver) }
	}
	if s.kind == kindFile {
		// Every writer holds the directory's lock (lockDir): no condition
		// is needed, and fileblob's own IfNotExist holds only within one
		// process.
		opts.IfNotExist, opts.BeforeWrite = false, nil
	}
	return s.bucket.WriteAll(ctx, key, data, opts)
}

// ifMatch makes the write conditional on ver, through the driver's own
// request type.
func (s *Sink) ifMatch(as func(any) bool, ver version) error {
	switch s.kind {
	case kindS3:
		var in *transfermanager.UploadObjectInput
		if as(&in) {
			etag := ver.etag
			in.IfMatch = &etag
			return nil
		}
	case kindGCS:
		var obj **storage.ObjectHandle
		if as(&obj) {
			*obj = (*obj).If(storage.Conditions{GenerationMatch: ver.gen})
			return nil
		}
	case kindAzure:
		var opts *azblob.UploadStreamOptions
		if as(&opts) {
			etag := azcore.ETag(ver.etag)
			opts.AccessConditions = &azblob.AccessConditions{
				ModifiedAccessConditions: &azblobblob.ModifiedAccessConditions{IfMatch: &etag},
			}
			return nil
		}
	}
	return errors.New("ghosttemporal: the sink's driver takes no conditional write")
}

// conflict reports whether a conditional write lost to another writer:
// a failed precondition, S3's 409 ConditionalRequestConflict (two
// conditional writes at once), or the object gone since it was read.
func (s *Sink) conflict(err error) bool {
	switch gcerrors.Code(err) {
	case gcerrors.FailedPrecondition, gcerrors.NotFound:
		return true
	}
	var ae smithy.APIError
	return s.bucket.ErrorAs(err, &ae) && ae.ErrorCode() == "ConditionalRequestConflict"
}

// removeEmptyDirs removes the directories (keys' parents, relative to root)
// that trimming left empty.
func removeEmptyDirs(root string, dirs []string) {
	for _, d := range dirs {
		_ = os.Remove(filepath.Join(root, filepath.FromSlash(d))) // fails unless empty
	}
}
