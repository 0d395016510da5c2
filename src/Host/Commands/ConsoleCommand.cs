using System.CommandLine;
using FraudShield.AlertDispatch;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Host.Runtime;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace FraudShield.Host.Commands;

/// <summary>
/// `fraudshield console`: a terminal dispatch console for one station, one grid, or all (analysts), over gRPC; and its
/// case actions as non-interactive subcommands: `ack`, `status`, `outcome` (the Ack, UpdateStatus and ReportOutcome RPCs).
/// </summary>
internal static class ConsoleCommand
{
    public static Command Create()
    {
        var station = new Option<string?>("--station") { Description = "Show this police station's alerts." };
        var grid = new Option<string?>("--grid") { Description = "Show this grid's alerts (a grid worker's view)." };
        var all = new Option<bool>("--all") { Description = "Show every alert (district centre, analysts)." };
        var server = new Option<Uri>("--server")
        {
            Description = "The dispatch gRPC address.",
            DefaultValueFactory = _ => new Uri("http://127.0.0.1:50051"),
            CustomParser = result =>
            {
                // System.CommandLine has no built-in Uri conversion: an explicit --server needs this parser.
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
                {
                    return uri;
                }

                result.AddError($"--server: '{text}' is not an http:// or https:// address.");
                return null;
            },
        };
        var json = new Option<bool>("--json") { Description = "One JSON object per alert on stdout instead of the live table." };
        var duration = new Option<int?>("--duration") { Description = "Stop after this many seconds." };
        var token = new Option<string?>("--token") { Description = "Console token (fraudshield token issue), when the server requires one; or set FRAUDSHIELD_TOKEN." };
        var command = new Command("console", "A terminal dispatch console: alerts of one station or grid, live, over gRPC.") { station, grid, all, server, json, duration, token };
        command.Validators.Add(result =>
        {
            if (result.Children.OfType<System.CommandLine.Parsing.CommandResult>().Any())
            {
                return; // a case action: the scope options do not apply
            }

            var scopes = (result.GetValue(station) is not null ? 1 : 0) + (result.GetValue(grid) is not null ? 1 : 0) + (result.GetValue(all) ? 1 : 0);
            if (scopes != 1)
            {
                result.AddError("Give exactly one of --station <id>, --grid <id> or --all.");
            }
        });
        command.SetAction(async (parse, cancellationToken) =>
        {
            var request = new SubscribeRequest();
            if (parse.GetValue(station) is { } s)
            {
                request.StationId = s;
            }
            else if (parse.GetValue(grid) is { } g)
            {
                request.GridId = g;
            }
            else
            {
                request.All = true;
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (parse.GetValue(duration) is { } seconds)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(seconds));
            }

            var address = parse.GetValue(server)!;
            using var client = new AlertStreamClient(address, new AlertStreamClientOptions { BearerToken = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("FRAUDSHIELD_TOKEN"), ReplayRetainedOnExpiredToken = true });
            var title = request.ScopeCase switch
            {
                SubscribeRequest.ScopeOneofCase.StationId => $"station {request.StationId}",
                SubscribeRequest.ScopeOneofCase.GridId => $"grid {request.GridId}",
                _ => "all stations",
            };
            // The live table's action keys use the same case RPCs as `console ack|status|outcome`, with the same token.
            var bearer = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("FRAUDSHIELD_TOKEN");
            using var actionChannel = GrpcChannel.ForAddress(address);
            var actions = new AlertStream.AlertStreamClient(actionChannel);
            var presenter = new AlertPresenter(parse.GetValue(json), $"FraudShield console: {title}", () => $"server {address}", async (alertId, action, ct) =>
            {
                try
                {
                    var state = (await InvokeAsync(actions, HeadersFor(bearer), alertId, action, ct)).Case;
                    return $"{state.AlertId}: {ProtoName(state.Status, "ALERT_STATUS_")}" + (state.Outcome == Outcome.Unspecified ? string.Empty : " " + ProtoName(state.Outcome, "OUTCOME_"));
                }
                catch (RpcException e)
                {
                    return $"{alertId}: {action} refused: {e.StatusCode}: {e.Status.Detail}";
                }
            });
            await presenter.RunAsync(client.SubscribeAsync(request, stop.Token), stop.Token);
            return 0;
        });
        AddCaseActions(command, server, token);
        return command;
    }

    // `console ack|status|outcome <alert-id> ...`: one RPC each, the case state after it on stdout (--json: as JSON).
    private static void AddCaseActions(Command console, Option<Uri> server, Option<string?> token)
    {
        var alertId = new Argument<string>("alert-id") { Description = "The alert (A-...) as the console shows it." };
        var operatorId = new Option<string?>("--operator") { Description = "Who acts (officer or grid worker id); recorded in the case history." };
        var note = new Option<string?>("--note") { Description = "A free-text note for the case history." };
        var json = new Option<bool>("--json") { Description = "Print the case state as JSON." };

        var ack = new Command("ack", "Sign for an alert (NEW or DELIVERED -> SIGNED); stops its escalation.") { alertId, server, token, operatorId, note, json };
        ack.SetAction(async (parse, cancellationToken) => await CallAsync(parse, server, token, json, (client, headers, ct) =>
            client.AckAsync(new AckRequest { AlertId = parse.GetValue(alertId)!, OperatorId = parse.GetValue(operatorId) ?? string.Empty, Note = parse.GetValue(note) ?? string.Empty }, headers, cancellationToken: ct).ResponseAsync, cancellationToken));

        var status = new Argument<string>("status") { Description = "CONTACTED or ON_SITE." };
        status.AcceptOnlyFromAmong("CONTACTED", "ON_SITE");
        var update = new Command("status", "Record field progress on a signed alert: SIGNED -> CONTACTED -> ON_SITE.") { alertId, status, server, token, operatorId, note, json };
        update.SetAction(async (parse, cancellationToken) => await CallAsync(parse, server, token, json, (client, headers, ct) =>
            client.UpdateStatusAsync(new UpdateStatusRequest
            {
                AlertId = parse.GetValue(alertId)!,
                Status = parse.GetValue(status) == "ON_SITE" ? AlertStatus.OnSite : AlertStatus.Contacted,
                OperatorId = parse.GetValue(operatorId) ?? string.Empty,
                Note = parse.GetValue(note) ?? string.Empty,
            }, headers, cancellationToken: ct).ResponseAsync, cancellationToken));

        var outcome = new Argument<string>("outcome") { Description = "DISSUADED, ALREADY_DEFRAUDED, FALSE_POSITIVE, UNREACHABLE, REFUSED or DUPLICATE." };
        outcome.AcceptOnlyFromAmong("DISSUADED", "ALREADY_DEFRAUDED", "FALSE_POSITIVE", "UNREACHABLE", "REFUSED", "DUPLICATE");
        var prevented = new Option<long>("--loss-prevented") { Description = "Loss prevented, in minor units (fen)." };
        var incurred = new Option<long>("--loss-incurred") { Description = "Loss incurred, in minor units (fen)." };
        var report = new Command("outcome", "Close a signed alert's case with its outcome.") { alertId, outcome, prevented, incurred, server, token, operatorId, note, json };
        report.SetAction(async (parse, cancellationToken) => await CallAsync(parse, server, token, json, (client, headers, ct) =>
            client.ReportOutcomeAsync(new ReportOutcomeRequest
            {
                AlertId = parse.GetValue(alertId)!,
                Outcome = Enum.Parse<Outcome>(parse.GetValue(outcome)!.Replace("_", string.Empty, StringComparison.Ordinal), ignoreCase: true),
                LossPreventedMinor = parse.GetValue(prevented),
                LossIncurredMinor = parse.GetValue(incurred),
                OperatorId = parse.GetValue(operatorId) ?? string.Empty,
                Note = parse.GetValue(note) ?? string.Empty,
            }, headers, cancellationToken: ct).ResponseAsync, cancellationToken));

        console.Subcommands.Add(ack);
        console.Subcommands.Add(update);
        console.Subcommands.Add(report);
    }

    private static Metadata? HeadersFor(string? bearer) =>
        bearer is { Length: > 0 } ? new Metadata { { "authorization", "Bearer " + bearer } } : null;

    // One key of the live table -> one case RPC (outcomes from keys carry no amounts; `console outcome` takes them).
    private static async Task<CaseReply> InvokeAsync(AlertStream.AlertStreamClient client, Metadata? headers, string alertId, CaseAction action, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        return action switch
        {
            CaseAction.Ack => await client.AckAsync(new AckRequest { AlertId = alertId }, headers, deadline, cancellationToken),
            CaseAction.Contacted or CaseAction.OnSite => await client.UpdateStatusAsync(
                new UpdateStatusRequest { AlertId = alertId, Status = action == CaseAction.OnSite ? AlertStatus.OnSite : AlertStatus.Contacted }, headers, deadline, cancellationToken),
            _ => await client.ReportOutcomeAsync(
                new ReportOutcomeRequest
                {
                    AlertId = alertId,
                    Outcome = action switch
                    {
                        CaseAction.Dissuaded => Outcome.Dissuaded,
                        CaseAction.AlreadyDefrauded => Outcome.AlreadyDefrauded,
                        _ => Outcome.FalsePositive,
                    },
                },
                headers,
                deadline,
                cancellationToken),
        };
    }

    private static async Task<int> CallAsync(
        ParseResult parse,
        Option<Uri> server,
        Option<string?> token,
        Option<bool> json,
        Func<AlertStream.AlertStreamClient, Metadata?, CancellationToken, Task<CaseReply>> call,
        CancellationToken cancellationToken)
    {
        var address = parse.GetValue(server)!;
        var headers = HeadersFor(parse.GetValue(token) ?? Environment.GetEnvironmentVariable("FRAUDSHIELD_TOKEN"));
        using var channel = GrpcChannel.ForAddress(address);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            var reply = await call(new AlertStream.AlertStreamClient(channel), headers, deadline.Token);
            var state = reply.Case;
            Console.Out.WriteLine(parse.GetValue(json)
                ? JsonFormatter.Default.Format(state)
                : $"{state.AlertId} {ProtoName(state.Status, "ALERT_STATUS_")} outcome={ProtoName(state.Outcome, "OUTCOME_")} signed_by={state.SignedBy}");
            return 0;
        }
        catch (RpcException e)
        {
            Console.Error.WriteLine($"{address}: {e.StatusCode}: {e.Status.Detail}");
            return e.StatusCode switch
            {
                StatusCode.NotFound or StatusCode.FailedPrecondition or StatusCode.InvalidArgument => 1,
                StatusCode.Unauthenticated or StatusCode.PermissionDenied => 3,
                _ => 4,
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine($"{address}: no answer within 30 s");
            return 4;
        }
    }

    // The proto spelling of an enum value without its prefix: AlertStatus.OnSite -> ON_SITE.
    private static string ProtoName<T>(T value, string prefix)
        where T : struct, Enum
    {
        var name = typeof(T).GetField(value.ToString())?.GetCustomAttributes(typeof(Google.Protobuf.Reflection.OriginalNameAttribute), false)
            .OfType<Google.Protobuf.Reflection.OriginalNameAttribute>().FirstOrDefault()?.Name;
        return name is null ? value.ToString() : name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
    }
}
