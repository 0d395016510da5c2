using FraudShield.Contracts.Dispatch.V1;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;

namespace FraudShield.AlertDispatch.Grpc;

/// <summary>
/// Binds the AlertStream methods to <see cref="AlertStreamService"/>. Ack, UpdateStatus and ReportOutcome use the
/// generated methods with <see cref="ValidatedRequests"/> request marshallers (a body that is not protobuf answers
/// INVALID_ARGUMENT). Subscribe uses that request marshaller too and a response marshaller that
/// writes an already-encoded AlertDelivery, so every subscriber of an alert shares one serialization; clients keep the
/// generated AlertDelivery marshaller, since the bytes on the wire are the same. Calls go through the same handler
/// pipeline as generated bindings (interceptors, status codes, trailers, limits).
/// </summary>
internal sealed class AlertStreamMethodProvider : IServiceMethodProvider<AlertStreamService>
{
    /// <summary>Writes the bytes of an encoded AlertDelivery as the message; reads a message as its bytes.</summary>
    internal static readonly Marshaller<byte[]> EncodedDeliveryMarshaller = Marshallers.Create(
        static (bytes, context) => context.Complete(bytes),
        static context => context.PayloadAsNewBuffer());

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<AlertStreamService> context)
    {
        var generated = new GeneratedMethods();
        AlertStream.BindService(generated, null);

        var subscribe = generated.Take<SubscribeRequest, AlertDelivery>(nameof(AlertStreamService.Subscribe));
        context.AddServerStreamingMethod(
            new Method<SubscribeRequest, byte[]>(subscribe.Type, subscribe.ServiceName, subscribe.Name, ValidatedRequests.Marshaller(subscribe), EncodedDeliveryMarshaller),
            Metadata(),
            static (service, request, stream, call) => service.Subscribe(request, stream, call));
        context.AddUnaryMethod(
            ValidatedRequests.Of(generated.Take<AckRequest, CaseReply>(nameof(AlertStreamService.Ack))),
            Metadata(),
            static (service, request, call) => service.Ack(request, call));
        context.AddUnaryMethod(
            ValidatedRequests.Of(generated.Take<UpdateStatusRequest, CaseReply>(nameof(AlertStreamService.UpdateStatus))),
            Metadata(),
            static (service, request, call) => service.UpdateStatus(request, call));
        context.AddUnaryMethod(
            ValidatedRequests.Of(generated.Take<ReportOutcomeRequest, CaseReply>(nameof(AlertStreamService.ReportOutcome))),
            Metadata(),
            static (service, request, call) => service.ReportOutcome(request, call));

        // A method added to the proto must be bound here too, or its calls would answer UNIMPLEMENTED.
        if (generated.Remaining != 0)
        {
            throw new InvalidOperationException($"AlertStream has {generated.Remaining} method(s) that AlertStreamMethodProvider does not bind.");
        }
    }

    // As the generated binding has it: POST only, CORS preflight accepted (grpc-dotnet ProviderServiceBinder).
    private static List<object> Metadata() => [new HttpMethodMetadata(["POST"], acceptCorsPreflight: true)];

    /// <summary>Collects the generated <see cref="Method{TRequest, TResponse}"/> definitions (and their marshallers) by name.</summary>
    private sealed class GeneratedMethods : ServiceBinderBase
    {
        private readonly Dictionary<string, IMethod> _methods = new(StringComparer.Ordinal);

        public int Remaining => _methods.Count;

        public Method<TRequest, TResponse> Take<TRequest, TResponse>(string name)
            where TRequest : class
            where TResponse : class
        {
            _methods.Remove(name, out var method);
            return (Method<TRequest, TResponse>)method!;
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            _methods.Add(method.Name, method);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            _methods.Add(method.Name, method);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            _methods.Add(method.Name, method);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            _methods.Add(method.Name, method);
    }
}
