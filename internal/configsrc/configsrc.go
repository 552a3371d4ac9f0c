// Package configsrc reads the configuration document from where -config
// points: a file, an SSM parameter (ssm:/path/to/parameter, SecureString
// decrypted) or an S3 object (s3://bucket/key). Parameters and objects
// are read through the AWS SDK with the standard configuration
// (credentials chain, AWS_REGION, AWS_ENDPOINT_URL /
// AWS_ENDPOINT_URL_<SERVICE>), so the config can change without an image
// build. What the document means is the config package's business.
package configsrc

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awshttp"
)

// maxSize bounds a document read from AWS: a configuration is kilobytes,
// and a wrong key must not fill memory. (SSM's own limit is 8 KB for an
// advanced parameter.)
const maxSize = 4 << 20

// Source is where the configuration document lives.
type Source struct {
	ref  string
	kind string // "file", "ssm", "s3"
	name string // path, parameter name, or bucket
	key  string // s3 object key
}

// Parse reads a -config value. ssm: needs a parameter name; s3:// needs a
// bucket and a key; anything else is a file path.
func Parse(ref string) (Source, error) {
	switch {
	case strings.HasPrefix(ref, "ssm:"):
		name := strings.TrimPrefix(ref, "ssm:")
		if name == "" || strings.ContainsAny(name, " \t") {
			return Source{}, fmt.Errorf("-config %q: want ssm:/path/to/parameter", ref)
		}
		return Source{ref: ref, kind: "ssm", name: name}, nil
	case strings.HasPrefix(ref, "s3://"):
		bucket, key, _ := strings.Cut(strings.TrimPrefix(ref, "s3://"), "/")
		if bucket == "" || key == "" {
			return Source{}, fmt.Errorf("-config %q: want s3://bucket/key", ref)
		}
		return Source{ref: ref, kind: "s3", name: bucket, key: key}, nil
	}
	if ref == "" {
		return Source{}, fmt.Errorf("-config is empty: want a file, ssm:/path or s3://bucket/key")
	}
	return Source{ref: ref, kind: "file", name: ref}, nil
}

// String is the source as given, which problems cite as the file name.
func (s Source) String() string { return s.ref }

// Remote reports whether the document comes from AWS.
func (s Source) Remote() bool { return s.kind != "file" }

// Read returns the document.
func (s Source) Read(ctx context.Context) ([]byte, error) {
	switch s.kind {
	case "ssm":
		return s.readSSM(ctx)
	case "s3":
		return s.readS3(ctx)
	}
	data, err := os.ReadFile(s.name)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	return data, nil
}

func (s Source) awsConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration to read %s: %w", s.ref, err)
	}
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("read config from %s: no region (set AWS_REGION)", s.ref)
	}
	cfg.HTTPClient = awshttp.Wrap(cfg.HTTPClient)
	return cfg, nil
}

func (s Source) readSSM(ctx context.Context) ([]byte, error) {
	cfg, err := s.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	out, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{
		Name: aws.String(s.name), WithDecryption: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("read config from %s: %w", s.ref, err)
	}
	if out.Parameter == nil {
		return nil, fmt.Errorf("read config from %s: no parameter in the answer", s.ref)
	}
	return []byte(aws.ToString(out.Parameter.Value)), nil
}

func (s Source) readS3(ctx context.Context) ([]byte, error) {
	cfg, err := s.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	// An object uploaded without a checksum is read all the same; the SDK
	// would say so in a plain-text line on stderr, outside the JSON logs.
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.DisableLogOutputChecksumValidationSkipped = true })
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.name), Key: aws.String(s.key)})
	if err != nil {
		return nil, fmt.Errorf("read config from %s: %w", s.ref, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config from %s: %w", s.ref, err)
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("read config from %s: larger than %d bytes", s.ref, maxSize)
	}
	return data, nil
}
