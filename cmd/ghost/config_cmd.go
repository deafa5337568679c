package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	ghost "github.com/ghostanalytics/ghost-go"
	"github.com/spf13/cobra"
)

func (a *app) newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show and set the settings (config file profiles)",
		Long: `config shows the settings in force and where each comes from, and sets
them in the config file: YAML in the user's config directory
(GHOST_CONFIG names another file), one map of settings per profile:

  profile: default          # the profile used when none is named
  profiles:
    default:
      base-url: https://analytics.example.com
      secret-key: sk_live_…
    staging:
      base-url: https://staging.example.com

--profile NAME (or GHOST_PROFILE) picks a profile. The file is written
readable by its owner only; "config show" never prints a secret.`,
		Example: `  ghost config show
  ghost config set base-url http://127.0.0.1:12111
  ghost config set --profile staging spark-base-url https://store.example.com
  ghost config unset --profile staging spark-base-url
  ghost config use default
  ghost config path`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return a.configShow() },
	}
	cmd.AddCommand(a.configSubcommands()...)
	return cmd
}

// configSubcommands are config's show, set, unset, use and path.
func (a *app) configSubcommands() []*cobra.Command {
	keys := func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, s := range settings {
			out = append(out, s.key+"\t"+s.help())
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	return []*cobra.Command{{
		Use:   "show",
		Short: "Show every setting in force, redacted, with where it comes from",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return a.configShow() },
	}, {
		Use:               "set KEY [VALUE]",
		Short:             "Set a setting in the profile (VALUE read from stdin when left out)",
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: keys,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && !errors.Is(err, io.EOF) {
					return err
				}
				args = append(args, strings.TrimSpace(line))
			}
			return a.editConfig(args[0], args[1])
		},
	}, {
		Use:               "unset KEY",
		Short:             "Remove a setting from the profile",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: keys,
		RunE:              func(_ *cobra.Command, args []string) error { return a.editConfig(args[0], "") },
	}, {
		Use:   "use PROFILE",
		Short: "Make PROFILE the one used when none is named",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.updateConfig(func(cf *configFile, _ string) (string, error) {
				if _, ok := cf.Profiles[args[0]]; !ok {
					return "", fmt.Errorf("no profile %q in the config file; create it with \"ghost config set --profile %s KEY VALUE\"", args[0], args[0])
				}
				cf.Profile = args[0]
				return "using profile " + args[0], nil
			})
		},
	}, {
		Use:   "path",
		Short: "Print the config file's path",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			p, err := configPath()
			if err == nil {
				fmt.Fprintln(a.stdout, p)
			}
			return err
		},
	}}
}

// updateConfig loads the config file, applies change, and saves it.
func (a *app) updateConfig(change func(cf *configFile, profile string) (string, error)) error {
	path, err := configPath()
	if err != nil {
		return err
	}
	cf, err := loadConfig(path)
	if err != nil {
		return err
	}
	msg, err := change(cf, selectProfile(a.root.PersistentFlags(), a.getenv, cf).v)
	if err != nil {
		return err
	}
	if err := cf.save(path); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "%s (%s)\n", msg, path)
	return nil
}

// editConfig sets key in the profile, or removes it when v is "".
func (a *app) editConfig(key, v string) error {
	s, ok := lookupSetting(key)
	if !ok {
		return fmt.Errorf("no setting %q; the settings are: %s", key, settingKeys())
	}
	return a.updateConfig(func(cf *configFile, profile string) (string, error) {
		if cf.Profiles == nil {
			cf.Profiles = map[string]map[string]string{}
		}
		p := cf.Profiles[profile]
		if p == nil {
			p = map[string]string{}
			cf.Profiles[profile] = p
		}
		if v == "" {
			delete(p, key)
			return fmt.Sprintf("removed %s from profile %q", key, profile), nil
		}
		p[key] = v
		return fmt.Sprintf("set %s = %s in profile %q", key, value{v: v}.show(s.secret), profile), nil
	})
}

// configShow prints every setting in force and each part's endpoint.
func (a *app) configShow() error {
	r, err := a.settings()
	if err != nil {
		return err
	}
	path, _ := configPath()
	w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	if r.mockEnv == nil {
		fmt.Fprintf(w, "config file\t%s\n", path)
		fmt.Fprintf(w, "profile\t%s (from %s)\n", r.profile.v, r.profile.source)
	}
	fmt.Fprintf(w, "\nSETTING\tVALUE\tFROM\tENVIRONMENT\n")
	for _, s := range settings {
		v := r.get(s.key)
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.key, v.show(s.secret), orDash(v.source), envName(s.key))
	}
	fmt.Fprintf(w, "\nPART\tBASE URL\tFROM\tCREDENTIALS\n")
	for _, p := range parts {
		u, key, _ := r.baseURL(p)
		url, from := u.v, key
		if url == "" {
			url, from = defaultURL(p), "the SDK's default"
		}
		keys, vals := r.credentials(p)
		var creds []string
		for i, k := range keys {
			state := "not set"
			if vals[i].v != "" {
				state = "set"
			}
			creds = append(creds, k+" "+state)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p, url, from, strings.Join(creds, ", "))
	}
	return w.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func defaultURL(p ghost.Part) string {
	switch p {
	case ghost.PartGhost:
		return ghost.DefaultBaseURL
	case ghost.PartKomoju:
		return ghost.DefaultKomojuBaseURL
	case ghost.PartExports:
		return ghost.DefaultExportsBaseURL
	}
	return "- (none: set it)"
}
