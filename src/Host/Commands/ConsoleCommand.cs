using System.CommandLine;
using FraudShield.AlertDispatch;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Host.Runtime;

namespace FraudShield.Host.Commands;

/// <summary>`fraudshield console`: a terminal dispatch console for one station, one grid, or all (analysts), over gRPC.</summary>
internal static class ConsoleCommand
{
    public static Command Create()
    {
        var station = new Option<string?>("--station") { Description = "Show this police station's alerts." };
        var grid = new Option<string?>("--grid") { Description = "Show this grid's alerts (a grid worker's view)." };
        var all = new Option<bool>("--all") { Description = "Show every alert (district centre, analysts)." };
        var server = new Option<Uri>("--server") { Description = "The dispatch gRPC address.", DefaultValueFactory = _ => new Uri("http://127.0.0.1:50051") };
        var json = new Option<bool>("--json") { Description = "One JSON object per alert on stdout instead of the live table." };
        var duration = new Option<int?>("--duration") { Description = "Stop after this many seconds." };
        var token = new Option<string?>("--token") { Description = "Console token (fraudshield token issue), when the server requires one; or set FRAUDSHIELD_TOKEN." };
        var command = new Command("console", "A terminal dispatch console: alerts of one station or grid, live, over gRPC.") { station, grid, all, server, json, duration, token };
        command.Validators.Add(result =>
        {
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
            using var client = new AlertStreamClient(address, new AlertStreamClientOptions { BearerToken = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("FRAUDSHIELD_TOKEN") });
            var title = request.ScopeCase switch
            {
                SubscribeRequest.ScopeOneofCase.StationId => $"station {request.StationId}",
                SubscribeRequest.ScopeOneofCase.GridId => $"grid {request.GridId}",
                _ => "all stations",
            };
            var presenter = new AlertPresenter(parse.GetValue(json), $"FraudShield console: {title}", () => $"server {address}");
            await presenter.RunAsync(client.SubscribeAsync(request, stop.Token), stop.Token);
            return 0;
        });
        return command;
    }
}
