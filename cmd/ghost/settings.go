package main

// The connection settings: one table of every setting, each with one name
// used as the flag (--komoju-base-url), the config file key
// (komoju-base-url) and, upper-cased with a GHOST_ prefix, the environment
// variable (GHOST_KOMOJU_BASE_URL). A flag wins over the environment, the
// environment over the config file's profile.

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// setting is one connection setting.
type setting struct {
	key    string     // flag, config key; GHOST_ + upper snake case is its variable
	part   ghost.Part // the part it configures ("" for base-url: every part)
	secret bool       // never printed
	note   string     // what it is, in a few words
}

// The base URL of a part is its own setting, else base-url, else the SDK's
// default for the part (Checkout and Spark have none). Komoju's secret key
// is komoju-secret-key, else secret-key.
var settings = []setting{
	{"base-url", "", false, "Ghost; default of all"},
	{"public-key", ghost.PartGhost, false, "Basic auth user"},
	{"secret-key", ghost.PartGhost, true, "Basic auth password"},
	{"komoju-base-url", ghost.PartKomoju, false, ""},
	{"komoju-secret-key", ghost.PartKomoju, true, "default: secret-key"},
	{"checkout-base-url", ghost.PartCheckout, false, "carts, analytics"},
	{"api-key", ghost.PartCheckout, true, "x-api-key"},
	{"spark-base-url", ghost.PartSpark, false, "your store"},
	{"auth-token", ghost.PartSpark, true, "X-AC-Auth-Token"},
	{"exports-base-url", ghost.PartExports, false, ""},
	{"bearer-token", ghost.PartExports, true, "Authorization: Bearer"},
}

// help is the setting's description for its flag.
func (s setting) help() string {
	if s.part == "" {
		return "Ghost API base URL, and every other part's default"
	}
	what := strings.ReplaceAll(strings.TrimPrefix(s.key, string(s.part)+"-"), "-", " ")
	what = strings.NewReplacer("base url", "base URL", "api key", "key").Replace(what)
	if s.note != "" {
		what += " (" + s.note + ")"
	}
	return partTitle(s.part) + " " + what
}

// parts are the API's parts, in the SDK's order.
var parts = []ghost.Part{ghost.PartGhost, ghost.PartKomoju, ghost.PartCheckout, ghost.PartSpark, ghost.PartExports}

func envName(key string) string {
	return "GHOST_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

func lookupSetting(key string) (setting, bool) {
	i := slices.IndexFunc(settings, func(s setting) bool { return s.key == key })
	if i < 0 {
		return setting{}, false
	}
	return settings[i], true
}

func settingKeys() string {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.key
	}
	return strings.Join(keys, ", ")
}

// value is a setting's value and where it came from.
type value struct {
	v      string
	source string // "--api-key", "GHOST_API_KEY", "config profile \"default\"", "--mock"; "" when unset
}

// configFile is the config file: named profiles of settings.
type configFile struct {
	Profile  string                       `yaml:"profile,omitempty"` // the profile used when none is named
	Profiles map[string]map[string]string `yaml:"profiles,omitempty"`
}

// configPath is the config file: GHOST_CONFIG, else ghost/config.yaml in
// the user's config directory.
func configPath() (string, error) {
	if p := os.Getenv("GHOST_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory (%w): set GHOST_CONFIG to a file path", err)
	}
	return filepath.Join(dir, "ghost", "config.yaml"), nil
}

// loadConfig reads the config file; a missing file is an empty one.
func loadConfig(path string) (*configFile, error) {
	cf := &configFile{}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cf, nil
	}
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(b, cf); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	for name, p := range cf.Profiles {
		for k := range p {
			if _, ok := lookupSetting(k); !ok {
				return nil, fmt.Errorf("config file %s: profile %q: unknown key %q (known: %s)", path, name, k, settingKeys())
			}
		}
	}
	return cf, nil
}

const configHeader = `# Settings of the ghost command, by profile ("ghost config set KEY VALUE
# [--profile NAME]"). Flags and GHOST_* environment variables win over them.
`

// save writes the file readable by its owner only: it holds secrets.
func (cf *configFile) save(path string) error {
	b, err := yaml.Marshal(cf)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append([]byte(configHeader), b...), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// resolver answers every setting from flags, the environment and the
// config file, or from the in-process mock's environment with --mock.
type resolver struct {
	flags   *pflag.FlagSet
	getenv  func(string) (string, bool)
	profile value // the config profile in use
	file    map[string]string
	mockEnv map[string]string // with --mock: the mock's environment, which wins
}

func (r *resolver) get(key string) value {
	name := envName(key)
	if r.mockEnv != nil {
		if v, ok := r.mockEnv[name]; ok {
			return value{v, "--mock"}
		}
		return value{}
	}
	if f := r.flags.Lookup(key); f != nil && f.Changed {
		return value{f.Value.String(), "--" + key}
	}
	if v, ok := r.getenv(name); ok && v != "" {
		return value{v, name}
	}
	if v := r.file[key]; v != "" {
		return value{v, fmt.Sprintf("config profile %q", r.profile.v)}
	}
	return value{}
}

// anySet reports whether any setting has a value.
func (r *resolver) anySet() bool {
	return slices.ContainsFunc(settings, func(s setting) bool { return r.get(s.key).v != "" })
}

// baseURL is the part's base URL and where it came from; own reports that
// the part's own setting gave it (for Ghost, base-url is its own).
func (r *resolver) baseURL(p ghost.Part) (v value, key string, own bool) {
	if p != ghost.PartGhost {
		key = string(p) + "-base-url"
		if v = r.get(key); v.v != "" {
			return v, key, true
		}
	}
	v = r.get("base-url")
	return v, "base-url", p == ghost.PartGhost && v.v != ""
}

// credentials are the settings a part authenticates with, in order: the
// keys and the values used (Komoju's secret key falls back to secret-key).
func (r *resolver) credentials(p ghost.Part) (keys []string, vals []value) {
	for _, s := range settings {
		if s.part == p && !strings.HasSuffix(s.key, "base-url") {
			v := r.get(s.key)
			if v.v == "" && s.key == "komoju-secret-key" {
				v = r.get("secret-key")
			}
			keys, vals = append(keys, s.key), append(vals, v)
		}
	}
	return keys, vals
}

// endpoint is the part's ghost.Endpoint: an empty base URL leaves the SDK's
// default for the part.
func (r *resolver) endpoint(p ghost.Part) ghost.Endpoint {
	u, _, _ := r.baseURL(p)
	keys, vals := r.credentials(p)
	var c ghost.Credentials
	for i, k := range keys {
		switch k {
		case "public-key":
			c.PublicKey = vals[i].v
		case "secret-key", "komoju-secret-key":
			c.SecretKey = vals[i].v
		case "api-key":
			c.APIKey = vals[i].v
		case "auth-token":
			c.AuthToken = vals[i].v
		case "bearer-token":
			c.BearerToken = vals[i].v
		}
	}
	return ghost.Endpoint{BaseURL: u.v, Credentials: c}
}

// redact shows a secret's last four characters when it is long enough for
// that to reveal nothing useful, else only that it is set.
func redact(s string) string {
	if len(s) >= 16 {
		return "****" + s[len(s)-4:]
	}
	return "****"
}

// show is a setting's value for printing.
func (v value) show(secret bool) string {
	switch {
	case v.v == "":
		return "-"
	case secret:
		return redact(v.v)
	}
	return v.v
}

// selectProfile decides the config profile: --profile, GHOST_PROFILE, the
// file's profile, else "default".
func selectProfile(flags *pflag.FlagSet, getenv func(string) (string, bool), cf *configFile) value {
	if f := flags.Lookup("profile"); f != nil && f.Changed {
		return value{f.Value.String(), "--profile"}
	}
	if v, ok := getenv("GHOST_PROFILE"); ok && v != "" {
		return value{v, "GHOST_PROFILE"}
	}
	return value{cmp.Or(cf.Profile, "default"), "config file"}
}
