<?php
/**
 * The soft-threshold warning: on WordPress admin pages, administrators see a
 * notice when today's or this month's spend has passed the soft threshold of
 * its cap (80% unless the policy says otherwise), or reached the cap. The spend
 * comes from Spend_Status's cache, not from a gateway call on every page.
 * Settings → Sluice itself shows the same in its Spend panel, so not there.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Spend_Notice {

	public function __construct( private Spend_Status $status ) {
	}

	public function render(): void {
		if ( ! current_user_can( 'manage_options' ) || $this->on_own_screen() ) {
			return;
		}
		$status = $this->status->current();
		if ( null === $status ) {
			return;
		}
		$lines   = array();
		$reached = false;
		foreach ( array( 'today', 'month' ) as $period ) {
			$spend = $status[ $period ];
			if ( ! is_array( $spend ) || empty( $spend['warning'] ) || ! is_numeric( $spend['cap_usd'] ?? null ) ) {
				continue;
			}
			$lines[] = self::sentence( $period, $spend );
			$reached = $reached || (float) ( $spend['used_fraction'] ?? 0 ) >= 1;
		}
		if ( array() === $lines ) {
			return;
		}
		printf(
			'<div class="notice %1$s sluice-spend-notice"><p><strong>%2$s</strong> %3$s</p><p><a href="%4$s">%5$s</a></p></div>',
			esc_attr( $reached ? 'notice-error' : 'notice-warning' ),
			esc_html__( 'Sluice chat spend:', 'sluice' ),
			esc_html( implode( ' ', $lines ) ),
			esc_url( admin_url( 'options-general.php?page=' . Admin_Page::SLUG ) ),
			esc_html__( 'Review spend and caps', 'sluice' )
		);
	}

	/**
	 * One sentence about one period.
	 *
	 * @param string               $period today or month.
	 * @param array<string, mixed> $spend  The gateway's status of that period.
	 */
	public static function sentence( string $period, array $spend ): string {
		$used     = (float) ( $spend['settled_usd'] ?? 0 ) + (float) ( $spend['reserved_usd'] ?? 0 );
		$cap      = (float) $spend['cap_usd'];
		$fraction = (float) ( $spend['used_fraction'] ?? 0 );
		$resets   = is_string( $spend['resets_at'] ?? null ) ? strtotime( $spend['resets_at'] ) : false;
		$when     = false === $resets ? '' : wp_date( 'today' === $period ? (string) get_option( 'time_format' ) : (string) get_option( 'date_format' ), $resets );

		if ( $fraction >= 1 ) {
			return 'today' === $period
				/* translators: 1: the daily cap, e.g. $5.00, 2: when it resets, e.g. 12:00 am */
				? sprintf( __( 'The daily cap of %1$s is reached: the chat answers no more questions until it resets at %2$s.', 'sluice' ), self::usd( $cap ), $when )
				/* translators: 1: the monthly cap, e.g. $50.00, 2: when it resets, e.g. August 1, 2026 */
				: sprintf( __( 'The monthly cap of %1$s is reached: the chat answers no more questions until it resets on %2$s.', 'sluice' ), self::usd( $cap ), $when );
		}
		$percent = (int) floor( $fraction * 100 );
		return 'today' === $period
			/* translators: 1: spent today, e.g. $4.10, 2: percentage of the cap, 3: the daily cap, e.g. $5.00 */
			? sprintf( __( 'Today %1$s is spent, %2$d%% of the daily cap of %3$s.', 'sluice' ), self::usd( $used ), $percent, self::usd( $cap ) )
			/* translators: 1: spent this month, e.g. $41.00, 2: percentage of the cap, 3: the monthly cap, e.g. $50.00 */
			: sprintf( __( 'This month %1$s is spent, %2$d%% of the monthly cap of %3$s.', 'sluice' ), self::usd( $used ), $percent, self::usd( $cap ) );
	}

	/** US dollars: cents, or two significant digits below a cent ($0.0042). */
	public static function usd( float $amount ): string {
		$decimals = 2;
		if ( $amount > 0 && $amount < 0.01 ) {
			// Two significant digits, without a trailing zero ($0.000001, not $0.0000010).
			$decimals = min( 8, (int) -floor( log10( $amount ) ) + 1 );
			if ( abs( round( $amount, $decimals - 1 ) - $amount ) < 1e-15 ) {
				--$decimals;
			}
		}
		return '$' . number_format_i18n( $amount, $decimals );
	}

	private function on_own_screen(): bool {
		$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
		return null !== $screen && 'settings_page_' . Admin_Page::SLUG === $screen->id;
	}
}
