package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"procsync/cmd/procsync/config"
)

// InitOptions are the inputs of `procsync init`.
type InitOptions struct {
	IO *IOStreams
	// ConfigPath resolves where to write (--config, $PROCSYNC_CONFIG, default).
	ConfigPath func() (string, error)

	Tenant          string
	GraphClientID   string
	ProcoreClientID string
	CompanyID       int64
	Environment     string
	Cloud           string
	Force           bool

	// environmentSet records that --environment was given, so that init
	// asks for the environment only when it was not: a silent production
	// default surprised admins who meant to start in a sandbox.
	environmentSet bool
}

// NewCmdInit builds `procsync init`. runF, when not nil, replaces runInit
// (tests).
func NewCmdInit(f *Factory, runF func(context.Context, *InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IO, ConfigPath: f.ConfigPath}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented config file",
		Long: `Write a commented config file with the few values procsync cannot guess:
the Entra tenant, the Graph and Procore client ids and the Procore company id.

When stdin is a terminal, init asks for the values the flags do not give.
Otherwise every required value must come from a flag. An existing file is
never overwritten without --force.`,
		Example: `  procsync init
  procsync init --config ./procsync.toml --tenant contoso.onmicrosoft.com \
    --graph-client-id 0c7f3a9e-... --procore-client-id abc... --company-id 1234`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.environmentSet = cmd.Flags().Changed("environment")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runInit(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Tenant, "tenant", "", "Entra tenant id or domain (e.g. contoso.onmicrosoft.com)")
	fl.StringVar(&opts.GraphClientID, "graph-client-id", "", "application (client) id of the Entra app registration")
	fl.StringVar(&opts.ProcoreClientID, "procore-client-id", "", "client id of the Procore app")
	fl.Int64Var(&opts.CompanyID, "company-id", 0, "Procore company id")
	fl.StringVar(&opts.Environment, "environment", config.DefaultEnvironment, "Procore environment: "+strings.Join(config.Environments, ", "))
	fl.StringVar(&opts.Cloud, "cloud", config.DefaultCloud, "Microsoft cloud: "+strings.Join(config.Clouds, ", "))
	fl.BoolVar(&opts.Force, "force", false, "overwrite an existing config file")
	_ = cmd.RegisterFlagCompletionFunc("environment", cobra.FixedCompletions(config.Environments, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("cloud", cobra.FixedCompletions(config.Clouds, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// initField ties a prompt and a flag to the config key that validates it.
type initField struct {
	key, flag, prompt string
	get               func(*InitOptions) string
	set               func(*InitOptions, string) error
}

var initFields = []initField{
	{"graph.tenant", "--tenant", "Entra tenant id or domain (e.g. contoso.onmicrosoft.com)",
		func(o *InitOptions) string { return o.Tenant },
		func(o *InitOptions, s string) error { o.Tenant = s; return nil }},
	{"graph.client_id", "--graph-client-id", "Graph app registration client id (a GUID)",
		func(o *InitOptions) string { return o.GraphClientID },
		func(o *InitOptions, s string) error {
			if !config.IsGUID(s) {
				return fmt.Errorf("%q is not a GUID: copy the Application (client) ID from the app registration's Overview page", s)
			}
			o.GraphClientID = s
			return nil
		}},
	{"procore.client_id", "--procore-client-id", "Procore app client id",
		func(o *InitOptions) string { return o.ProcoreClientID },
		func(o *InitOptions, s string) error { o.ProcoreClientID = s; return nil }},
	{"procore.company_id", "--company-id", "Procore company id",
		func(o *InitOptions) string {
			if o.CompanyID == 0 {
				return ""
			}
			return strconv.FormatInt(o.CompanyID, 10)
		},
		func(o *InitOptions, s string) error {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a number", s)
			}
			if n <= 0 {
				// Zero would read as "not answered yet" and be re-asked silently.
				return fmt.Errorf("%d: must be a positive company id", n)
			}
			o.CompanyID = n
			return nil
		}},
}

// initFlags maps the config keys init writes to the flags that set them,
// so that a bad value is reported against the flag the user typed.
var initFlags = map[string]string{
	"graph.tenant": "--tenant", "graph.client_id": "--graph-client-id",
	"procore.client_id": "--procore-client-id", "procore.company_id": "--company-id",
	"procore.environment": "--environment", "graph.cloud": "--cloud",
}

// runInit writes the config file, asking for missing values on a terminal.
func runInit(_ context.Context, opts *InitOptions) error {
	path, err := opts.ConfigPath()
	if err != nil {
		return err
	}
	// Refuse early, before asking questions whose answers would be thrown
	// away. Asking to write over a file is a usage mistake (exit 2).
	if !opts.Force {
		if _, err := os.Stat(path); err == nil {
			return existsError(path)
		}
	}
	if opts.IO.IsStdinTTY() {
		fmt.Fprintf(opts.IO.ErrOut, "Writing %s. Everything else gets a commented default.\n", path)
		// One reader for every question: a second one would lose what the
		// first had buffered.
		in := bufio.NewReader(opts.IO.In)
		if err := askMissing(opts, in); err != nil {
			return err
		}
		if err := askEnvironment(opts, in); err != nil {
			return err
		}
	}
	if problems := checkInit(opts); len(problems) > 0 {
		return &FlagError{Err: errors.New("init: " + strings.Join(problems, "; "))}
	}

	data := config.Commented(initValues(opts))
	if err := writeConfig(path, data, opts.Force); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "Wrote %s\n", path)
	fmt.Fprintf(opts.IO.ErrOut, `Next:
  1. Review the [groups] and [report] sections of that file.
  2. Export %s: Procore's sign-in needs the Procore
     app's client secret, even for 'procsync login'. Secrets never go in the file.
  3. Run 'procsync login'. Headless runs can use %s instead
     of a signed-in Graph user.
`, config.ProcoreSecretEnv, config.GraphSecretEnv)
	return nil
}

// existsError refuses to write over an existing config without --force.
func existsError(path string) error {
	return &FlagError{Err: fmt.Errorf("init: %s already exists; use --force to overwrite it", path)}
}

// askEnvironment asks which Procore environment to use unless
// --environment was given; an empty answer keeps the default.
func askEnvironment(opts *InitOptions, in *bufio.Reader) error {
	if opts.environmentSet {
		return nil
	}
	for {
		fmt.Fprintf(opts.IO.ErrOut, "Procore environment (%s) [%s]: ", strings.Join(config.Environments, ", "), opts.Environment)
		line, err := in.ReadString('\n')
		line = strings.ToLower(strings.TrimSpace(line))
		if line == "" {
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("init: read answer for procore.environment: %w", err)
			}
			return nil
		}
		if slices.Contains(config.Environments, line) {
			opts.Environment = line
			return nil
		}
		fmt.Fprintf(opts.IO.ErrOut, "  %q is not one of %s\n", line, strings.Join(config.Environments, ", "))
		if err != nil {
			return fmt.Errorf("init: no valid answer for procore.environment (input ended)")
		}
	}
}

func initValues(opts *InitOptions) config.Values {
	return config.Values{
		Tenant:          opts.Tenant,
		GraphClientID:   opts.GraphClientID,
		Cloud:           opts.Cloud,
		Environment:     opts.Environment,
		CompanyID:       opts.CompanyID,
		ProcoreClientID: opts.ProcoreClientID,
	}
}

// checkInit validates the values by rendering and parsing the file they
// make, so init and the loader can never disagree on what is valid.
func checkInit(opts *InitOptions) []string {
	var missing []string
	for _, fld := range initFields {
		if fld.get(opts) == "" {
			missing = append(missing, fld.flag)
		}
	}
	if len(missing) > 0 {
		why := ""
		if !opts.IO.IsStdinTTY() {
			why = " (stdin is not a terminal, so init cannot ask)"
		}
		return []string{"missing " + strings.Join(missing, ", ") + why}
	}
	var out []string
	if !config.IsGUID(opts.GraphClientID) {
		out = append(out, fmt.Sprintf("invalid --graph-client-id: %q is not a GUID: copy the Application (client) ID from the app registration's Overview page", opts.GraphClientID))
	}
	_, err := config.Parse(config.Commented(initValues(opts)), "config")
	var errs config.Errors
	if !errors.As(err, &errs) {
		return out
	}
	for _, e := range errs {
		name := initFlags[e.Key]
		if name == "" {
			name = e.Key
		}
		out = append(out, fmt.Sprintf("invalid %s: %s", name, e.Msg))
	}
	return out
}

// askMissing prompts for each required value no flag gave, re-asking until
// the loader accepts it.
func askMissing(opts *InitOptions, in *bufio.Reader) error {
	for _, fld := range initFields {
		for fld.get(opts) == "" || fieldProblem(opts, fld.key) != "" {
			if v := fld.get(opts); v != "" {
				fmt.Fprintf(opts.IO.ErrOut, "  %s\n", fieldProblem(opts, fld.key))
				_ = fld.set(opts, "")
			}
			fmt.Fprintf(opts.IO.ErrOut, "%s: ", fld.prompt)
			line, err := in.ReadString('\n')
			line = strings.TrimSpace(line)
			if line == "" && err != nil {
				if errors.Is(err, io.EOF) {
					return fmt.Errorf("init: no answer for %s (input ended)", fld.key)
				}
				return fmt.Errorf("init: read answer for %s: %w", fld.key, err)
			}
			if line == "" {
				continue
			}
			if err := fld.set(opts, line); err != nil {
				fmt.Fprintf(opts.IO.ErrOut, "  %v\n", err)
			}
		}
	}
	return nil
}

// fieldProblem returns the loader's complaint about key, if any. Fields
// still empty are filled with a valid placeholder so that only key's own
// value is judged.
func fieldProblem(opts *InitOptions, key string) string {
	probe := *opts
	if probe.Tenant == "" {
		probe.Tenant = "placeholder.example"
	}
	if probe.GraphClientID == "" {
		probe.GraphClientID = "00000000-0000-0000-0000-000000000000"
	}
	if probe.ProcoreClientID == "" {
		probe.ProcoreClientID = "placeholder"
	}
	if probe.CompanyID == 0 {
		probe.CompanyID = 1
	}
	_, err := config.Parse(config.Commented(initValues(&probe)), "config")
	var errs config.Errors
	if errors.As(err, &errs) {
		if i := slices.IndexFunc(errs, func(e *config.Error) bool { return e.Key == key }); i >= 0 {
			return errs[i].Msg
		}
	}
	return ""
}

// writeConfig writes data to path. Without force it creates the file
// exclusively, so a file that appeared since the check is not clobbered;
// with force it replaces the file atomically through a rename.
func writeConfig(path string, data []byte, force bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("init: create %s: %w", dir, err)
	}
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return existsError(path)
		}
		if err != nil {
			return fmt.Errorf("init: %w", err)
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return fmt.Errorf("init: write %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("init: write %s: %w", path, err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(dir, ".procsync-config-*")
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("init: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("init: write %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("init: replace %s: %w", path, err)
	}
	return nil
}
