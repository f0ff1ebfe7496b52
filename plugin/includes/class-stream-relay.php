<?php
/**
 * Relays the gateway's event stream to the browser, byte for byte, as it arrives.
 *
 * Two phases, so that the browser gets the gateway's real status:
 *
 * 1. In the REST callback (respond()): the request starts and curl is driven
 *    (curl_multi) only until the gateway's status line and headers are in. A
 *    non-2xx answer is read to its end and becomes the contract's WP_Error
 *    shape with the gateway's status, worded for the visitor
 *    (Gateway_Errors::for_visitor()); a gateway that cannot be reached becomes a
 *    502 sluice_unavailable. A 2xx answer is handed to WordPress as a
 *    Stream_Response, with the transfer still open.
 * 2. When WordPress serves that response (send()): every chunk curl reads is
 *    echoed and flushed at once from CURLOPT_WRITEFUNCTION. When the browser has
 *    gone, the write function returns a short count, curl aborts and closes the
 *    connection, and the gateway sees the disconnect, stops the model and bills
 *    what was consumed.
 *
 * @package Sluice
 */

namespace Sluice;

use CurlHandle;
use CurlMultiHandle;
use WP_Error;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

final class Stream_Relay implements Stream_Source {

	/** Seconds without a byte from the gateway before giving up (it sends keep-alives every 15 s). */
	private const IDLE_LIMIT_SECONDS = 120;

	/** Most of an error body kept before the stream is served. */
	private const ERROR_BODY_LIMIT = 65536;

	private ?CurlMultiHandle $multi;
	private ?CurlHandle $handle;

	private int $status = 0;
	/** @var array<string, string> */
	private array $headers = array();
	private bool $headers_complete = false;

	/** Body bytes read before the stream is served. */
	private string $pending = '';
	/** The last bytes written, to tell whether the stream ended with [DONE]. */
	private string $tail = '';

	private ?Sse_Output $output = null;
	private bool $client_gone = false;
	private float $last_byte_at;

	private bool $finished = false;
	private int $curl_result = CURLE_OK;
	private string $curl_error = '';

	/**
	 * Starts the request and answers as soon as the gateway's status is known.
	 *
	 * @param CurlHandle $handle A prepared, signed request (Gateway_Client::prepare()).
	 */
	public static function respond( CurlHandle $handle ): WP_REST_Response|WP_Error {
		$relay = new self( $handle );
		$relay->pump( static fn(): bool => $relay->headers_complete );

		if ( ! $relay->headers_complete ) {
			$detail = $relay->curl_error;
			$relay->close();
			return Gateway_Errors::unavailable( $detail );
		}

		$is_stream = str_starts_with( strtolower( $relay->headers['content-type'] ?? '' ), 'text/event-stream' );
		if ( $relay->status >= 200 && $relay->status < 300 && $is_stream ) {
			$headers = isset( $relay->headers['x-request-id'] ) ? array( 'X-Request-Id' => $relay->headers['x-request-id'] ) : array();
			return new Stream_Response( $relay, $headers );
		}

		// An error, or a gateway that answers buffered even when asked to stream: read it all.
		$relay->pump( static fn(): bool => false );
		$status     = $relay->status;
		$body       = $relay->pending;
		$retry      = $relay->headers['retry-after'] ?? null;
		$incomplete = CURLE_OK !== $relay->curl_result;
		$detail     = $relay->curl_error;
		$relay->close();
		if ( $incomplete ) {
			return Gateway_Errors::unavailable( $detail );
		}
		if ( $status >= 200 && $status < 300 ) {
			$answer = json_decode( $body, true );
			return is_array( $answer ) ? new WP_REST_Response( $answer, 200 ) : Gateway_Errors::unavailable( 'the gateway answered neither a stream nor JSON' );
		}
		return Gateway_Errors::response( Gateway_Errors::for_visitor( Gateway_Errors::from_gateway( $status, $body ) ), Gateway_Errors::retry_after( $retry ) );
	}

	private function __construct( CurlHandle $handle ) {
		$this->handle       = $handle;
		$this->last_byte_at = microtime( true );
		curl_setopt_array(
			$handle,
			array(
				CURLOPT_RETURNTRANSFER   => false,
				CURLOPT_HEADERFUNCTION   => array( $this, 'on_header' ),
				CURLOPT_WRITEFUNCTION    => array( $this, 'on_body' ),
				CURLOPT_NOPROGRESS       => false,
				CURLOPT_PROGRESSFUNCTION => array( $this, 'on_progress' ),
			)
		);
		$this->multi = curl_multi_init();
		curl_multi_add_handle( $this->multi, $handle );
	}

	public function send( Sse_Output $output ): void {
		$this->output = $output;
		$output->start();
		$early         = $this->pending;
		$this->pending = '';
		if ( '' !== $early && ! $this->relay( $early ) ) {
			$this->close();
			return;
		}
		$this->pump( static fn(): bool => false );
		if ( ! $this->client_gone && ! $this->ended_with_done() ) {
			// The gateway went away mid-answer: end the stream as the wire format ends a failure.
			$error = array(
				'type'    => 'error',
				'code'    => Error_Codes::GATEWAY_STREAM_CUT,
				'message' => __( 'The answer was cut off: the chat gateway stopped responding.', 'sluice' ),
			);
			$output->write( 'event: error' . "\n" . 'data: ' . wp_json_encode( $error ) . "\n\n" . "data: [DONE]\n\n" );
		}
		$this->close();
	}

	public function discard(): void {
		$this->close();
	}

	public function __destruct() {
		$this->close();
	}

	/**
	 * CURLOPT_HEADERFUNCTION: the status line and headers (of the final response;
	 * an interim 1xx resets them).
	 *
	 * @param CurlHandle $handle Unused.
	 * @param string     $line   One header line with its CRLF.
	 */
	public function on_header( $handle, string $line ): int {
		$this->last_byte_at = microtime( true );
		if ( str_starts_with( $line, 'HTTP/' ) ) {
			$parts         = explode( ' ', trim( $line ), 3 );
			$this->status  = (int) ( $parts[1] ?? 0 );
			$this->headers = array();
		} elseif ( '' === trim( $line ) ) {
			$this->headers_complete = $this->status >= 200;
		} elseif ( str_contains( $line, ':' ) ) {
			[ $name, $value ] = explode( ':', $line, 2 );

			$this->headers[ strtolower( trim( $name ) ) ] = trim( $value );
		}
		return strlen( $line );
	}

	/**
	 * CURLOPT_WRITEFUNCTION: kept until the stream is served, then echoed and
	 * flushed at once. Returning less than the chunk's length makes curl abort.
	 *
	 * @param CurlHandle $handle Unused.
	 * @param string     $chunk  Bytes as read from the gateway.
	 */
	public function on_body( $handle, string $chunk ): int {
		$this->last_byte_at = microtime( true );
		if ( null === $this->output ) {
			$streaming = $this->status >= 200 && $this->status < 300;
			if ( $streaming || strlen( $this->pending ) < self::ERROR_BODY_LIMIT ) {
				$this->pending .= $chunk;
			}
			return strlen( $chunk );
		}
		return $this->relay( $chunk ) ? strlen( $chunk ) : 0;
	}

	/**
	 * CURLOPT_PROGRESSFUNCTION: called about once a second even when no data
	 * flows; a non-zero answer aborts the transfer.
	 */
	public function on_progress(): int {
		if ( null !== $this->output && $this->output->client_gone() ) {
			$this->client_gone = true;
			return 1;
		}
		return microtime( true ) - $this->last_byte_at > self::IDLE_LIMIT_SECONDS ? 1 : 0;
	}

	/** Writes bytes to the browser; false once it has gone. */
	private function relay( string $bytes ): bool {
		$this->tail = substr( $this->tail . $bytes, -64 );
		if ( ! $this->output?->write( $bytes ) ) {
			$this->client_gone = true;
			return false;
		}
		return true;
	}

	private function ended_with_done(): bool {
		return 1 === preg_match( '/(^|\n)data: \[DONE\]\r?\n\r?\n$/', $this->tail );
	}

	/**
	 * Drives the transfer until $until() holds or it is over (done, failed or aborted).
	 *
	 * @param callable(): bool $until Checked after each round of curl work.
	 */
	private function pump( callable $until ): void {
		while ( ! $this->finished && null !== $this->multi ) {
			$running = 0;
			$code    = curl_multi_exec( $this->multi, $running );
			if ( CURLM_OK !== $code ) {
				$this->finish( CURLE_FAILED_INIT, curl_multi_strerror( $code ) ?? 'curl_multi_exec failed' );
				return;
			}
			$this->read_result();
			if ( $until() ) {
				return;
			}
			if ( 0 === $running ) {
				$this->finish( $this->curl_result, $this->curl_error );
				return;
			}
			if ( -1 === curl_multi_select( $this->multi, 1.0 ) ) {
				// Nothing to wait on yet (an old libcurl): try again shortly.
				usleep( 1000 );
			}
		}
	}

	private function read_result(): void {
		while ( null !== $this->multi ) {
			$message = curl_multi_info_read( $this->multi );
			if ( false === $message ) {
				return;
			}
			if ( CURLMSG_DONE === $message['msg'] ) {
				$result = (int) $message['result'];
				$this->finish( $result, CURLE_OK === $result ? '' : $this->describe( $result ) );
			}
		}
	}

	private function describe( int $result ): string {
		$message = null !== $this->handle ? curl_error( $this->handle ) : '';
		return '' !== $message ? $message : (string) curl_strerror( $result );
	}

	private function finish( int $result, string $error ): void {
		$this->finished    = true;
		$this->curl_result = $result;
		$this->curl_error  = $error;
	}

	/** Ends the transfer: an unfinished one drops its connection, which the gateway sees as a disconnect. */
	private function close(): void {
		if ( null !== $this->multi && null !== $this->handle ) {
			curl_multi_remove_handle( $this->multi, $this->handle );
		}
		if ( null !== $this->multi ) {
			curl_multi_close( $this->multi );
		}
		$this->multi    = null;
		$this->handle   = null;
		$this->finished = true;
	}
}
