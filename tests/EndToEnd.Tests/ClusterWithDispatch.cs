using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// A `fraudshield cluster` process (the embedded cluster, 4 partitions per topic) and a `fraudshield run --role
/// dispatch` process on it (gRPC on a free port): the fixed part of the process-level engine tests, which then start
/// their own engine processes. Disposing stops both.
/// </summary>
internal sealed class ClusterWithDispatch : IAsyncDisposable
{
    private ClusterWithDispatch(TestProcess cluster, TestProcess dispatch, string bootstrap, Uri grpc)
    {
        Cluster = cluster;
        Dispatch = dispatch;
        Bootstrap = bootstrap;
        Grpc = grpc;
    }

    public TestProcess Cluster { get; }

    public TestProcess Dispatch { get; }

    /// <summary>The cluster's bootstrap address.</summary>
    public string Bootstrap { get; }

    /// <summary>The dispatch's gRPC address.</summary>
    public Uri Grpc { get; }

    public static async Task<ClusterWithDispatch> StartAsync()
    {
        var (cluster, clusterReady) = await HostProcess.StartAsync(HostProcess.ClusterReady(), "cluster", "--partitions", "4");
        var bootstrap = clusterReady.Groups["kafka"].Value;
        try
        {
            var (dispatch, dispatchReady) = await HostProcess.StartAsync(HostProcess.RunReady(), "run", "--role", "dispatch", "--bootstrap", bootstrap, "--grpc-port", "0");
            return new ClusterWithDispatch(cluster, dispatch, bootstrap, new Uri(dispatchReady.Groups["grpc"].Value));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Dispatch.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}
