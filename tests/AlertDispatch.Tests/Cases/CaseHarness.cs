using FraudShield.AlertDispatch.Cases;
using FraudShield.Tests.Shared;

namespace FraudShield.AlertDispatch.Tests.Cases;

/// <summary>
/// What a test of a dispatch's cases stands on: an in-process case store in a temporary folder (wrapped when a test
/// needs to hold it up), the hub and the case service over them, disposed in the order a dispatch stops.
/// </summary>
internal sealed class CaseHarness : IAsyncDisposable
{
    private readonly TempDirectory _folder;

    private CaseHarness(TempDirectory folder, ICaseStore store, TimeProvider? time)
    {
        _folder = folder;
        Store = store;
        Cases = new CaseService(store, Hub, new InMemoryOutcomeSink(), new CaseOptions(), time);
    }

    public AlertHub Hub { get; } = new();

    public ICaseStore Store { get; }

    public CaseService Cases { get; }

    /// <summary>Opens a store in a new folder named after <paramref name="name"/>; <paramref name="wrap"/> may put something in front of it.</summary>
    public static CaseHarness Open(string name, TimeProvider? time = null, Func<InProcessCaseStore, ICaseStore>? wrap = null)
    {
        var folder = new TempDirectory(name);
        var store = InProcessCaseStore.Open(folder.Path, flushToDisk: false);
        return new CaseHarness(folder, wrap is null ? store : wrap(store), time);
    }

    public async ValueTask DisposeAsync()
    {
        Cases.Dispose();
        await Store.DisposeAsync();
        Hub.Dispose();
        _folder.Dispose();
    }
}
