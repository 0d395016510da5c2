using FraudShield.RuleEngine.Counterparty;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Tests.Counterparty;

// The counterparty stage's stores are sized as the engine's are: each index for its own key count.
public sealed class CounterpartyStoresTests
{
    private static readonly FasterStoreOptions Small = new() { IndexBuckets = 1 << 12, MemorySizeBits = 20, PageSizeBits = 16 };

    [Fact]
    public void Create_WithACapacity_SizesEachIndexForItsOwnKeys()
    {
        using var stores = new CounterpartyStores(Small, new StoreCapacity { Callers = 1_000_000, Accounts = 100_000 });
        Assert.Equal(1L << 18, stores.Callers.IndexBuckets);
        Assert.Equal(1L << 15, stores.Accounts.IndexBuckets);
        Assert.Equal(FasterStoreOptions.IndexBucketsFor(1_000_000), stores.Callers.IndexBuckets);
    }

    [Fact]
    public void Create_WithoutACapacity_TakesTheOptionsAsTheyAre()
    {
        using var stores = new CounterpartyStores(Small);
        Assert.Equal(1L << 12, stores.Callers.IndexBuckets);
        Assert.Equal(1L << 12, stores.Accounts.IndexBuckets);
    }
}
