using System.Text;
using FraudShield.AlertDispatch.Cases;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Tests.Shared;

namespace FraudShield.AlertDispatch.Tests.Cases;

/// <summary>The case store contract on <see cref="InProcessCaseStore"/>, plus its journal's own guarantees.</summary>
public sealed class InProcessCaseStoreTests : CaseStoreContractTests, IDisposable
{
    private readonly TempDirectory _root = new("fraudshield-cases");
    private readonly Dictionary<ICaseStore, string> _folders = [];

    public void Dispose() => _root.Dispose();

    protected override Task<ICaseStore> CreateAsync()
    {
        var folder = Path.Combine(_root.Path, Guid.NewGuid().ToString("N"));
        var store = InProcessCaseStore.Open(folder);
        _folders[store] = folder;
        return Task.FromResult<ICaseStore>(store);
    }

    protected override async Task<ICaseStore> ReopenAsync(ICaseStore store)
    {
        var folder = _folders[store];
        await store.DisposeAsync();
        var reopened = InProcessCaseStore.Open(folder);
        _folders[reopened] = folder;
        return reopened;
    }

    [Fact]
    public async Task Open_TornLastLine_DroppedAndEarlierStateKept()
    {
        var store = await CreateAsync();
        var folder = _folders[store];
        await OpenAsync(store, "a1");
        await store.DisposeAsync();
        await File.AppendAllTextAsync(Path.Combine(folder, InProcessCaseStore.JournalFileName), "{\"alertId\":\"a2\",\"sta").WithTimeout();

        await using var reopened = InProcessCaseStore.Open(folder);
        Assert.NotNull(await reopened.GetAsync("a1").WithTimeout());
        Assert.Null(await reopened.GetAsync("a2").WithTimeout());
        Assert.Equal(1, reopened.Count);
    }

    [Fact]
    public async Task Open_CorruptLineBeforeTheEnd_FailsNamingTheLine()
    {
        var store = await CreateAsync();
        var folder = _folders[store];
        await store.DisposeAsync();
        var journal = Path.Combine(folder, InProcessCaseStore.JournalFileName);
        await File.WriteAllTextAsync(journal, "garbage\n{\"alertId\":\"a1\"}\n", Encoding.UTF8).WithTimeout();

        var ex = Assert.Throws<InvalidDataException>(() => InProcessCaseStore.Open(folder));
        Assert.Contains("line 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_FolderHeldByAnotherStore_Throws()
    {
        await using var store = await CreateAsync();
        Assert.ThrowsAny<IOException>(() => InProcessCaseStore.Open(_folders[store]));
    }

    [Fact]
    public async Task Open_AfterManyChanges_CompactsToOneLinePerCase()
    {
        var store = await CreateAsync();
        var folder = _folders[store];
        for (var i = 0; i < 5; i++)
        {
            await OpenAsync(store, $"a{i}");
            await store.UpdateAsync($"a{i}", s => CaseTransitions.Sign(s, $"a{i}", T0 + 1, "station:S1")).WithTimeout();
        }

        var journal = Path.Combine(folder, InProcessCaseStore.JournalFileName);
        await store.DisposeAsync();
        Assert.Equal(10, (await File.ReadAllLinesAsync(journal).WithTimeout()).Length);

        await using var reopened = InProcessCaseStore.Open(folder);
        Assert.Equal(5, (await File.ReadAllLinesAsync(journal).WithTimeout()).Length);
        Assert.All(await reopened.QueryAsync(new CaseQuery()).WithTimeout(), s => Assert.Equal(AlertStatus.Signed, s.Status));
    }
}
