<#
.SYNOPSIS
    Runs procsync's headless sync for Task Scheduler and keeps its result.

.DESCRIPTION
    Reads the two client secrets, runs `procsync --auto --json`, appends the run's JSON
    to <state dir>\logs\runs.jsonl and procsync's log lines to <state dir>\logs\procsync.log,
    and exits with procsync's exit code, which Task Scheduler shows as "Last Run Result":

      0  done (or nothing to do)
      1  a run error or a failed action
      2  config error
      3  a brake refused the plan (nothing was applied)
      4  not signed in, or the credentials were rejected

    The wrapper's own failures use the same meanings: 2 when procsync.exe or the secret
    file is missing or unsafe, 4 when the Credential Manager cannot be read, 1 when
    procsync ran past -TimeoutMinutes and was stopped (its journal lets the next run
    resume without creating anyone twice).

    The secrets go only into this process's environment, which procsync inherits. They
    are never written to a file, a log or the console, and never passed on a command line.

.PARAMETER SecretSource
    CredentialManager (the default): generic credentials of the account the task runs
    as, stored with cmdkey under the targets procsync/graph-client-secret and
    procsync/procore-client-secret. Needs the task's Password logon: an S4U logon has no
    access to the Credential Manager.
    Environment: PROCSYNC_GRAPH_CLIENT_SECRET and PROCSYNC_PROCORE_CLIENT_SECRET are
    already set, as user variables of the account the task runs as (machine-wide
    variables are readable by every user of the machine).
    File: -SecretFile holds lines NAME=value for those two names and may be readable
    only by this account, SYSTEM and Administrators.
    A secret that is absent is left unset: procsync then uses the sign-in saved by
    `procsync login` for that side, or exits 4 naming the command to run.

.PARAMETER Procsync
    procsync.exe; by default the one next to this script.

.PARAMETER ConfigPath
    Sets PROCSYNC_CONFIG; by default procsync's own (%AppData%\procsync\config.toml).

.PARAMETER StateDir
    Sets PROCSYNC_STATE_DIR; by default procsync's own (%LocalAppData%\procsync).

.PARAMETER TimeoutMinutes
    Stops procsync after this long. Keep it under the task's ExecutionTimeLimit (45 min).

.PARAMETER DryRun
    Adds --dry-run: plans with the same secrets and config, writes nothing. Run it in a
    shell of the task's account to check the setup before the first scheduled run.
#>
[CmdletBinding()]
param(
    [ValidateSet('CredentialManager', 'Environment', 'File')]
    [string]$SecretSource = 'CredentialManager',
    [string]$SecretFile = '',
    [string]$Procsync = '',
    [string]$ConfigPath = '',
    [string]$StateDir = '',
    [ValidateRange(1, 1440)]
    [int]$TimeoutMinutes = 40,
    [switch]$DryRun
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

# procsync's exit codes (README, "Exit codes").
$ExitRunError = 1
$ExitConfig = 2
$ExitAuth = 4

# The variables procsync reads its client secrets from, and the Credential Manager
# target each is stored under (cmdkey /generic:TARGET).
$SecretTargets = [ordered]@{
    'PROCSYNC_GRAPH_CLIENT_SECRET'   = 'procsync/graph-client-secret'
    'PROCSYNC_PROCORE_CLIENT_SECRET' = 'procsync/procore-client-secret'
}

$script:LogFile = $null
$Utf8 = New-Object System.Text.UTF8Encoding $false

# Write-RunLog notes the wrapper's own steps. Only names and paths go here, never a value.
function Write-RunLog([string]$Message) {
    $line = '{0} run-procsync: {1}' -f (Get-Date).ToUniversalTime().ToString('o'), $Message
    [Console]::Error.WriteLine($line)
    if ($script:LogFile) {
        [System.IO.File]::AppendAllText($script:LogFile, $line + "`r`n", $Utf8)
    }
}

function Stop-Run([int]$Code, [string]$Message) {
    Write-RunLog $Message
    exit $Code
}

# CredRead from advapi32, the documented API behind the Credential Manager: no module
# to install, nothing from outside Windows.
$CredentialSource = @'
using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

namespace ProcsyncTask {
    public static class Credentials {
        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        private struct CREDENTIAL {
            public int Flags;
            public int Type;
            public string TargetName;
            public string Comment;
            public System.Runtime.InteropServices.ComTypes.FILETIME LastWritten;
            public int CredentialBlobSize;
            public IntPtr CredentialBlob;
            public int Persist;
            public int AttributeCount;
            public IntPtr Attributes;
            public string TargetAlias;
            public string UserName;
        }

        [DllImport("advapi32.dll", EntryPoint = "CredReadW", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern bool CredRead(string target, int type, int reservedFlag, out IntPtr credential);

        [DllImport("advapi32.dll")]
        private static extern void CredFree(IntPtr buffer);

        private const int CRED_TYPE_GENERIC = 1;
        private const int ERROR_NOT_FOUND = 1168;

        // ReadGeneric returns the secret of a generic credential, null when there is
        // none, and throws Win32Exception for any other failure.
        public static string ReadGeneric(string target) {
            IntPtr p;
            if (!CredRead(target, CRED_TYPE_GENERIC, 0, out p)) {
                int err = Marshal.GetLastWin32Error();
                if (err == ERROR_NOT_FOUND) {
                    return null;
                }
                throw new Win32Exception(err);
            }
            try {
                CREDENTIAL c = (CREDENTIAL)Marshal.PtrToStructure(p, typeof(CREDENTIAL));
                if (c.CredentialBlob == IntPtr.Zero || c.CredentialBlobSize == 0) {
                    return "";
                }
                // cmdkey stores the password as UTF-16LE, without a terminator.
                return Marshal.PtrToStringUni(c.CredentialBlob, c.CredentialBlobSize / 2);
            } finally {
                CredFree(p);
            }
        }
    }
}
'@

function Import-CredentialManagerSecrets {
    if (-not ('ProcsyncTask.Credentials' -as [type])) {
        Add-Type -TypeDefinition $CredentialSource
    }
    foreach ($name in $SecretTargets.Keys) {
        $target = $SecretTargets[$name]
        try {
            $value = [ProcsyncTask.Credentials]::ReadGeneric($target)
        } catch {
            Stop-Run $ExitAuth ("the Credential Manager of {0}\{1} cannot be read ({2}). A task with S4U logon has no access to it: register the task with its password (schtasks /ru ... /rp *), or use -SecretSource Environment or File." -f $env:USERDOMAIN, $env:USERNAME, $_.Exception.Message)
        }
        if ([string]::IsNullOrEmpty($value)) {
            Write-RunLog "$target is not in the Credential Manager, or this logon cannot see it (S4U): $name stays unset"
            continue
        }
        Set-Item -LiteralPath "Env:$name" -Value $value
        Write-RunLog "$name set from the Credential Manager ($target)"
    }
}

function Import-FileSecrets([string]$Path) {
    if ($Path -eq '' -or -not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        Stop-Run $ExitConfig "-SecretSource File needs -SecretFile, an existing file (got '$Path')"
    }
    # Anyone else who can read the file can read the secrets: refuse it, as procsync
    # refuses a state directory others can write.
    $allowed = @(
        [System.Security.Principal.WindowsIdentity]::GetCurrent().User.Value,
        'S-1-5-18',     # SYSTEM
        'S-1-5-32-544'  # Administrators
    )
    foreach ($rule in (Get-Acl -LiteralPath $Path).Access) {
        if ($rule.AccessControlType -ne 'Allow') {
            continue
        }
        try {
            $sid = $rule.IdentityReference.Translate([System.Security.Principal.SecurityIdentifier]).Value
        } catch {
            $sid = ''
        }
        if ($allowed -notcontains $sid) {
            Stop-Run $ExitConfig ("{0} can be read by {1}. Allow only the task's account, SYSTEM and Administrators: icacls `"{0}`" /inheritance:r /grant:r `"{2}\{3}:R`" SYSTEM:F Administrators:F" -f $Path, $rule.IdentityReference, $env:USERDOMAIN, $env:USERNAME)
        }
    }
    $n = 0
    foreach ($line in [System.IO.File]::ReadAllLines($Path)) {
        $n++
        $t = $line.Trim()
        if ($t -eq '' -or $t.StartsWith('#')) {
            continue
        }
        $eq = $t.IndexOf('=')
        $name = ''
        if ($eq -gt 0) {
            $name = $t.Substring(0, $eq).Trim()
        }
        if (-not $SecretTargets.Contains($name)) {
            # The line is not repeated: it may hold a secret.
            Stop-Run $ExitConfig ("{0} line {1}: expected NAME=value with NAME one of {2}" -f $Path, $n, ($SecretTargets.Keys -join ', '))
        }
        $value = $t.Substring($eq + 1).Trim()
        if ($value -eq '') {
            Stop-Run $ExitConfig ("{0} line {1}: {2} has no value" -f $Path, $n, $name)
        }
        Set-Item -LiteralPath "Env:$name" -Value $value
        Write-RunLog "$name set from $Path"
    }
}

# The state directory procsync will use, so that the logs sit beside its journal.
if ($StateDir -eq '') {
    $StateDir = [Environment]::GetEnvironmentVariable('PROCSYNC_STATE_DIR')
}
if ([string]::IsNullOrEmpty($StateDir)) {
    if ([string]::IsNullOrEmpty($env:LOCALAPPDATA)) {
        Stop-Run $ExitConfig '%LocalAppData% is not defined (is the profile of the task''s account loaded?): pass -StateDir'
    }
    $StateDir = Join-Path $env:LOCALAPPDATA 'procsync'
}
$env:PROCSYNC_STATE_DIR = $StateDir
if ($ConfigPath -ne '') {
    $env:PROCSYNC_CONFIG = $ConfigPath
}
$LogDir = Join-Path $StateDir 'logs'
New-Item -ItemType Directory -Force -Path $LogDir | Out-Null
$script:LogFile = Join-Path $LogDir 'procsync.log'
$RunsFile = Join-Path $LogDir 'runs.jsonl'
$OutFile = Join-Path $LogDir 'last-run.json'
$ErrFile = Join-Path $LogDir 'last-run.log'

if ($Procsync -eq '') {
    $Procsync = Join-Path $PSScriptRoot 'procsync.exe'
}
if (-not (Test-Path -LiteralPath $Procsync -PathType Leaf)) {
    Stop-Run $ExitConfig "procsync not found at ${Procsync}: copy procsync.exe next to this script, or pass -Procsync PATH"
}

switch ($SecretSource) {
    'CredentialManager' { Import-CredentialManagerSecrets }
    'File' { Import-FileSecrets $SecretFile }
    'Environment' {
        foreach ($name in $SecretTargets.Keys) {
            $set = -not [string]::IsNullOrEmpty([Environment]::GetEnvironmentVariable($name))
            Write-RunLog "$name set in the environment: $set"
        }
    }
}

$procsyncArgs = @('--auto', '--json')
if ($DryRun) {
    $procsyncArgs += '--dry-run'
}
$started = (Get-Date).ToUniversalTime().ToString('o')
Write-RunLog ("starting {0} {1} (state {2})" -f $Procsync, ($procsyncArgs -join ' '), $StateDir)
# Start-Process hands procsync this process's environment, secrets included; its
# standard output (the one JSON object) and standard error (its log) go to files.
$proc = Start-Process -FilePath $Procsync -ArgumentList $procsyncArgs -NoNewWindow -PassThru `
    -RedirectStandardOutput $OutFile -RedirectStandardError $ErrFile
# Reading Handle now keeps ExitCode available once the process has exited.
$null = $proc.Handle
if ($proc.WaitForExit($TimeoutMinutes * 60 * 1000)) {
    $proc.WaitForExit()  # lets the redirected output finish
    $code = $proc.ExitCode
} else {
    try {
        $proc.Kill()
    } catch {
        # It exited between the wait and the kill.
    }
    $proc.WaitForExit()
    $code = $ExitRunError
    Write-RunLog "procsync ran past $TimeoutMinutes minutes and was stopped; the next run resumes from its journal"
}

if (Test-Path -LiteralPath $ErrFile) {
    $log = [System.IO.File]::ReadAllText($ErrFile)
    if ($log -ne '') {
        [System.IO.File]::AppendAllText($script:LogFile, $log, $Utf8)
    }
}

# One line per run: when it started, its exit code and procsync's JSON (null when it
# printed none, e.g. on a config error; the reason is in procsync.log).
$result = 'null'
if (Test-Path -LiteralPath $OutFile) {
    $json = [System.IO.File]::ReadAllText($OutFile).Trim()
    if ($json -ne '') {
        try {
            $null = ConvertFrom-Json -InputObject $json
            # Line breaks between JSON tokens are insignificant, and JSON strings hold none.
            $result = $json -replace '\r?\n', ' '
        } catch {
            Write-RunLog "procsync's output is not JSON; it is kept in $OutFile"
        }
    }
}
$line = '{"started":"' + $started + '","exit_code":' + $code + ',"result":' + $result + '}'
[System.IO.File]::AppendAllText($RunsFile, $line + "`r`n", $Utf8)
Write-RunLog "procsync exited with $code"
if ($DryRun) {
    # Someone is watching: show the plan as well (procsync's JSON holds no secret).
    [Console]::Out.WriteLine($result)
}
exit $code
